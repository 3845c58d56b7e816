"""A derived SQLite index of the store, so list and search never parse every YAML file.

The index is a cache: it lives in ``.kehu/index.sqlite`` (ignored by git), is brought up to date
from file changes (path, size, mtime) before it answers, and can be deleted at any time.
Files that fail to parse or validate are recorded as problems and left out; the rest still work.

The package: ``schema`` (tables, opening), ``rows`` (a record file → rows), ``refresh``
(keeping up to date with the files; ``full_refresh`` compares every file, ``storing``
stores what was read), ``freshness`` (when it may answer without looking),
``queries`` (the public query methods: customers, profiles, files; ``interaction_queries``
purchases and histories, ``records`` interactions as plain dicts), ``derived`` (plugins'
values per customer), ``reader`` (read-only answers as plain dicts, without the store),
``plugin_data`` (plugins' own tables and caches), ``connection`` (what those share),
``mending`` (a file damaged while it is open). Only this package runs SQL on the
index; everything else calls its methods.

The names below are imported on first use: ``kehu search`` reads through ``reader`` alone and
must not pay for the models the rest of the package needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .connection import IndexFailure
    from .derived import Derived
    from .plugin_data import PluginData, PluginTable
    from .queries import Queries
    from .refresh import Refresher
    from .rows import Row

    class Index(Refresher, Queries, PluginData, Derived):
        """The index of one store, through one SQLite connection (one per thread)."""

__all__ = ["Index", "IndexFailure", "PluginTable", "Row"]

_WHERE = {"IndexFailure": "connection", "PluginTable": "plugin_data", "Row": "rows"}


def _index_class() -> type:
    from .derived import Derived
    from .mending import guard
    from .plugin_data import PluginData
    from .queries import Queries
    from .refresh import Refresher

    @guard  # a file damaged under a process holding it: made anew where it is met
    class Index(Refresher, Queries, PluginData, Derived):
        """The index of one store, through one SQLite connection (one per thread)."""

    Index.__module__ = __name__
    return Index


def __getattr__(name: str) -> Any:
    if name == "Index":
        value = _index_class()
    elif name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # made once
    return value
