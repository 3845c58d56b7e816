"""kehu (客户): a plugin-based CRM toolkit whose records live as git-friendly YAML files."""

__version__ = "0.1.0"

from .hookspecs import hookimpl  # noqa: E402  — what plugin authors import

__all__ = ["hookimpl", "__version__"]
