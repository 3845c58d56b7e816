"""kehu (客户): a plugin-based CRM toolkit whose records live as git-friendly YAML files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .hookspecs import hookimpl  # what plugin authors import

__all__ = ["hookimpl", "__version__"]


def __getattr__(name: str) -> Any:
    """``kehu_core.hookimpl``, imported (with pluggy) when a plugin asks for it, so that
    ``kehu --version`` does not import pluggy."""
    if name == "hookimpl":
        from .hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
