"""What plugins keep in the index: derived values per customer, and caches in the process.

Plugins compute things from the records (a tier is a rank among all customers, a next reminder
runs every rule over a history) that are too slow to redo for every customer of every list.
Two public tools, both tied to the index generation (a counter that moves with every change
of the indexed records, in any process):

* ``index.plugin_cache(plugin)``: a dict for this process, emptied when the generation moves.
* ``index.plugin_table(plugin, name, columns)``: a table in the index database with one row
  per customer, kept between commands under a *stamp*: a string the plugin makes of everything
  the values depend on (the generation, the day, its settings). Values under another stamp are
  never returned. Being derived data, the tables go when the index is deleted.

Plugins never see SQL or the connection: the index package owns both (so it can later filter
and sort lists on these columns itself).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .connection import LOOKUP, IndexConnection
from .mending import guard

if TYPE_CHECKING:
    from ..store import Store

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")  # plugin and table names
_COLUMN = re.compile(r"[a-z][a-z0-9_]*\Z")


class PluginCache(dict[Any, Any]):
    """A plugin's in-process cache; ``generation`` is the index generation it is valid for."""

    def __init__(self, generation: str) -> None:
        super().__init__()
        self.generation = generation


class PluginTable:
    """One plugin's derived values, one row per customer, stored in the index under a stamp.

    A row is a tuple of the declared ``columns`` holding SQLite values (str, int, float or
    None). Reads take the stamp the caller expects and return None when the table holds
    another one (or nothing yet): the caller then computes and stores afresh.
    Writes are skipped (they return False) inside someone else's transaction and when the
    database is busy or read-only: derived data can always be computed again.
    """

    def __init__(self, index: IndexConnection, plugin: str, name: str, columns: Sequence[str]) -> None:
        for part, pattern in [(plugin, _NAME), (name, _NAME), *((c, _COLUMN) for c in columns)]:
            if not pattern.match(part):
                raise ValueError(f"plugin table: {part!r} is not a plain name (letters, digits, _)")
        if "customer_id" in columns:
            raise ValueError("plugin table: customer_id is the key column, not one of the values")
        self._index = index
        self.key = f"{plugin}:{name}"
        self.columns = tuple(columns)
        self._columns_text = ",".join(self.columns)
        self._table = f'"plugin:{plugin}:{name}"'  # quoted: one name per (plugin, name)
        self._quoted = ", ".join(f'"{c}"' for c in self.columns)  # a column may be an SQL word
        self._select = f"SELECT customer_id, {self._quoted} FROM {self._table}"

    @property
    def _db(self) -> sqlite3.Connection:
        # the index's connection as it is now: a table a plugin kept across a rebuild (the file
        # made anew after damage, or replaced by `kehu reindex --rebuild`) read the connection
        # closed with the old file ("Cannot operate on a closed database")
        return self._index.db

    def stamp(self) -> str | None:
        """The stamp of the stored values (None: nothing stored, or other columns)."""
        row = self._db.execute("SELECT stamp, columns FROM plugin_tables WHERE name=?", (self.key,)).fetchone()
        return row[0] if row is not None and row[1] == self._columns_text else None

    def get(self, stamp: str, customer_ids: Sequence[str]) -> dict[str, tuple[Any, ...]] | None:
        """The stored rows of these customers (those without one left out), or None if the
        table is not for ``stamp``."""
        with self._index.snapshot():  # the stamp and the rows of one moment
            if self.stamp() != stamp:
                return None
            out: dict[str, tuple[Any, ...]] = {}
            for first in range(0, len(customer_ids), LOOKUP):
                part = list(customer_ids[first:first + LOOKUP])
                marks = ",".join("?" * len(part))
                for row in self._db.execute(f"{self._select} WHERE customer_id IN ({marks})", part):
                    out[row[0]] = row[1:]
            return out

    def all(self, stamp: str) -> dict[str, tuple[Any, ...]] | None:
        """Every stored row by customer id, or None if the table is not for ``stamp``."""
        with self._index.snapshot():
            if self.stamp() != stamp:
                return None
            return {row[0]: row[1:] for row in self._db.execute(f"{self._select} ORDER BY customer_id")}

    def count(self, stamp: str) -> int | None:
        """How many rows are stored, or None if the table is not for ``stamp``."""
        with self._index.snapshot():
            if self.stamp() != stamp:
                return None
            return self._db.execute(f"SELECT count(*) FROM {self._table}").fetchone()[0]

    def update(self, stamp_was: str, stamp: str, rows: Mapping[str, Sequence[Any]]) -> bool:
        """Move the stored values from ``stamp_was`` to ``stamp``, adding or replacing these rows
        and keeping every other one as it is (a store-wide result of which a change moved a few
        rows). Nothing is written (False) when the table no longer holds ``stamp_was``: another
        process replaced it meanwhile."""
        return self._write(stamp, rows, replace_all=False, stamp_was=stamp_was)

    def put(self, stamp: str, rows: Mapping[str, Sequence[Any]]) -> bool:
        """Add or replace these customers' rows under ``stamp``; rows kept under any other stamp
        are dropped first (a list fills in just the customers it shows)."""
        return self._write(stamp, rows, replace_all=False)

    def replace_all(self, stamp: str, rows: Mapping[str, Sequence[Any]]) -> bool:
        """Make these rows the whole table, under ``stamp`` (a store-wide result)."""
        return self._write(stamp, rows, replace_all=True)

    def _write(self, stamp: str, rows: Mapping[str, Sequence[Any]], *, replace_all: bool,
               stamp_was: str | None = None) -> bool:
        db = self._db
        if db.in_transaction:  # inside someone else's write (a batch): not ours to commit
            return False
        marks = ",".join("?" * (len(self.columns) + 1))
        values = [(cid, *row) for cid, row in rows.items()]
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                kept = db.execute("SELECT stamp, columns FROM plugin_tables WHERE name=?", (self.key,)).fetchone()
                if stamp_was is not None and (kept is None or tuple(kept) != (stamp_was, self._columns_text)):
                    db.execute("ROLLBACK")
                    return False
                if kept is None or kept[1] != self._columns_text:  # new, or the plugin changed its columns
                    db.execute(f"DROP TABLE IF EXISTS {self._table}")
                    db.execute(f"CREATE TABLE {self._table}(customer_id TEXT PRIMARY KEY, {self._quoted})")
                elif replace_all or kept[0] not in (stamp, stamp_was):
                    db.execute(f"DELETE FROM {self._table}")
                db.execute("INSERT OR REPLACE INTO plugin_tables VALUES(?, ?, ?)",
                           (self.key, self._columns_text, stamp))
                db.executemany(f"INSERT OR REPLACE INTO {self._table} VALUES({marks})", values)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError:  # busy or read-only: computed again next time
            return False
        return True


# its reads and writes meeting a damaged file mend the index as the Index's own do
guard(PluginTable, lambda table: table._index)


class PluginData(IndexConnection):
    """The part of the ``Index`` that keeps plugins' derived data (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._plugin_caches: dict[str, PluginCache] = {}
        self._caches_generation: str | None = None
        self._plugin_tables: dict[tuple[str, str, tuple[str, ...]], PluginTable] = {}

    def reopen(self) -> None:
        super().reopen()  # what was kept of the file read before is forgotten with it
        self._plugin_caches, self._caches_generation, self._plugin_tables = {}, None, {}
        self._purchase_index_made = False

    def plugin_cache(self, plugin: str) -> PluginCache:
        """``plugin``'s cache in this process: a dict, empty again whenever the index generation
        has moved since it was filled (a record changed, in this process or another). Costs
        one small query; ``.generation`` says which generation the contents are for."""
        generation = self.generation()
        if generation != self._caches_generation:
            self._plugin_caches = {}
            self._caches_generation = generation
        cache = self._plugin_caches.get(plugin)
        if cache is None:
            cache = self._plugin_caches[plugin] = PluginCache(generation)
        return cache

    def plugin_table(self, plugin: str, name: str, columns: Sequence[str]) -> PluginTable:
        """``plugin``'s table ``name`` of per-customer values with these columns (created on
        the first write; a different list of columns replaces the table)."""
        key = (plugin, name, tuple(columns))
        table = self._plugin_tables.get(key)
        if table is None:  # asked once per customer of a list: made once
            table = self._plugin_tables[key] = PluginTable(self, plugin, name, columns)
        return table
