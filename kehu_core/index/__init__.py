"""A derived SQLite index of the store, so list and search never parse every YAML file.

The index is a cache: it lives in ``.kehu/index.sqlite`` (ignored by git), is brought up to date
from file changes (path, size, mtime) before it answers, and can be deleted at any time.
Files that fail to parse or validate are recorded as problems and left out; the rest still work.

The package: ``schema`` (tables, opening), ``rows`` (a record file → rows), ``refresh``
(keeping up to date with the files), ``queries`` (the public query methods), ``plugin_data``
(plugins' own derived values and caches), ``connection`` (what those share). Only this
package runs SQL on the index; everything else calls ``Index`` methods.
"""

from __future__ import annotations

from .plugin_data import PluginData, PluginTable
from .queries import Queries
from .refresh import Refresher
from .rows import Row

__all__ = ["Index", "PluginTable", "Row"]


class Index(Refresher, Queries, PluginData):
    """The index of one store, through one SQLite connection (one per thread)."""
