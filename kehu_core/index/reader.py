"""Read-only answers from the index as plain dicts, without opening the store.

``kehu search`` and the customer lists only read: when :mod:`.freshness` says the index is
up to date, they answer from it directly, and the store (its settings' models, the plugins,
the YAML parsers) is never imported. When it is not, the caller opens the store, whose
``index`` catches up, and reads through :meth:`IndexReader.of` the same way.

A customer here is the contract's JSON object of the profile (what ``model_dump(mode="json")``
gives, stored as such by the index), so nothing is validated again on the way out.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..paths import SYNC_MARKER, index_file, state_dir
from ..textsearch import normalise_query
from . import freshness
from .schema import INDEX_VERSION, not_sqlite

if TYPE_CHECKING:
    from . import Index
    from .derived import Derived
    from .records import Records


#: the longest LIKE pattern SQLite takes (SQLITE_MAX_LIKE_PATTERN_LENGTH, in bytes): a longer
#: one ended a search in "internal error: OperationalError: LIKE or GLOB pattern too complex"
LIKE_PATTERN_MOST = 50_000


def search_clause(query: str, limit: int) -> tuple[str, tuple[Any, ...]] | None:
    """The WHERE and ORDER BY of a search of the customers table, with its parameters; None
    for a query with nothing to look for. One home for "what matches": the reader and the
    index's own :meth:`Queries.search` both use it.

    Three letters or more are looked up in a trigram full-text index; shorter queries (``zm``,
    ``赵敏``) scan the short column of names, pinyin and tags only, which is fast enough.
    """
    text, _ = normalise_query(query)
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    if len(like.encode("utf-8")) > LIKE_PATTERN_MOST:  # SQLite refused it: "pattern too complex"
        return " WHERE 0 LIMIT ?", (limit,)  # nobody's search text holds a query that long
    if "\0" in text:  # SQLite's LIKE ends a pattern at NUL: "%\0%" was "%", and found everyone
        return " WHERE 0 LIMIT ?", (limit,)  # no record holds a NUL (a control character)
    if len(text) >= 3 and escaped == text:  # the trigram index cannot take an ESCAPE clause
        where = "id IN (SELECT id FROM search_fts WHERE search LIKE ?)"
    elif len(text) < 3:
        where = "id IN (SELECT id FROM customers WHERE short LIKE ? ESCAPE '\\')"
    else:
        where = "search LIKE ? ESCAPE '\\'"
    clause = (f" WHERE {where}"
              " ORDER BY (lower(name)=?) DESC, (search LIKE ? ESCAPE '\\') DESC, sort_name, name, id LIMIT ?")
    return clause, (like, text, like[1:], limit)


class IndexReader:
    """Plain-dict answers from an index that is up to date."""

    def __init__(self, db: sqlite3.Connection, *, region: str, settings: Mapping[str, Any] | None = None) -> None:
        self.db = db
        self.region = region  # the store's phone region (kehu.yaml), for showing numbers
        # what else of kehu.yaml the index noted with it (Refresher.remember_look); empty when
        # the store is open (the caller asks the store)
        self.settings: Mapping[str, Any] = settings or {}

    @classmethod
    def of(cls, index: Index) -> IndexReader:
        """A reader on an open store's index (which has just caught up with the files)."""
        return cls(index.db, region=index.store.config.region)

    @classmethod
    def open_current(cls, root: Path) -> IndexReader | None:
        """A reader on the store at ``root`` if its index is known to be up to date (see
        :mod:`.freshness`) — reading the index and a few stats, nothing else — else None.
        None too while a sync's marker is there (one stat): a sync killed half-way left the
        clone half-merged, which the store puts back as it opens (``Store.put_back_killed_sync``)."""
        state = state_dir(root, create=False)
        if (state / SYNC_MARKER).exists():
            return None
        path = index_file(root, state, create=False)
        if not path.is_file() or not_sqlite(path):  # overwritten: the store makes it anew
            return None
        try:
            db = sqlite3.connect(path, timeout=30, isolation_level=None)  # it exists: nothing is created
        except sqlite3.Error:
            return None
        try:
            meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN"
                                   " ('version', 'signature', 'settings', 'looked_at')"))
            if meta.get("version") != str(INDEX_VERSION) or not _current(db, root, meta):
                db.close()
                return None
        except sqlite3.Error:  # an index being created, or of another shape: the store decides
            db.close()
            return None
        settings = freshness.load(meta.get("settings"))
        return cls(db, region=str(settings.get("region") or "CN"), settings=settings)

    def close(self) -> None:
        self.db.close()

    def records(self) -> Records:
        """The interactions as plain dicts (a customer's history, what they owe, purchases)."""
        from .records import Records

        return Records.over(self.db)  # type: ignore[no-any-return]

    def profiles(self) -> Listing:
        """Lists of profiles (no plugin's values) from this up-to-date index."""
        from .derived import Derived

        return Listing(Derived.over(self.db), None)

    def kept_values(self, root: Path, explicit_today: dt.date | None, keys: Sequence[str], *,
                    everyone: bool = True) -> Listing | None:
        """The plugins' values kept in the index, if they are what the plugins would compute
        now — the same plugins installed (their entry points) and none registered by hand,
        kehu.yaml unchanged, the same day and language, everyone's values of the plugins that
        give ``keys`` (a filter's, an order's) fresh (see :meth:`Derived.values_current`; the
        other plugins' for the customers listed: :meth:`Listing.fresh_for`) — else None, and
        the caller opens the store, whose plugins bring them up to date. No plugin is loaded.
        ``everyone=False``: no plugin's values checked for everyone (one customer shown: its
        own, by :meth:`Listing.fresh_for`)."""
        from ..clock import resolve_today
        from ..entrypoints import advertised
        from .derived import Derived, values_base

        values = Derived.over(self.db)
        try:
            host = values.value_host()
            if (host is None or host["entry_points"] != advertised()
                    or not set(host["names"]) <= set(host["entry_points"])):
                return None
            configured = host.get("configured_today")
            today = resolve_today(explicit_today, dt.date.fromisoformat(configured) if configured else None)
            base = values_base(root, today, host["names"])
            plugins = values.providers(keys, host["order"]) if everyone else []
            if not values.values_current(base, host, plugins=plugins):
                return None
            return Listing(values, list(host["order"]), frozenset(host["written"]), fresh=(base, host), today=today)
        except (sqlite3.Error, KeyError, TypeError, ValueError):  # an older or damaged note: ask the plugins
            return None

    def search(self, query: str, limit: int = 50) -> list[dict[str, Any]]:
        """Customers matching ``query`` (see :func:`search_clause`), best first."""
        clause = search_clause(query, limit)
        if clause is None:
            return []
        sql, params = clause
        return [json.loads(data) for (data,) in self.db.execute("SELECT data FROM customers" + sql, params)]


def _current(db: sqlite3.Connection, root: Path, meta: dict[str, str]) -> bool:
    """Whether the index may answer for the store as it is now, without re-reading a file."""
    if "settings" not in meta:
        return False
    few = db.execute("SELECT count(*) FROM (SELECT 1 FROM files LIMIT ?)",
                     (freshness.SMALL_STORE_FILES + 1,)).fetchone()[0]
    if few == 0:
        return False  # never built
    if few <= freshness.SMALL_STORE_FILES:  # a small store: every file compared, as a refresh would
        if freshness.load(meta.get("signature")).get("config") != freshness.config_stamp(root):
            return False
        on_disk, _ = freshness.scan_tree(len(str(root)) + 1, str(root / "customers"))
        known = {p: (s, m) for p, s, m in db.execute("SELECT path, size, mtime FROM files")}
        changed, removed = freshness.differences(on_disk, known)
        return not changed and not removed
    return freshness.trusted(freshness.load(meta.get("signature")),
                             float(meta.get("looked_at") or 0), freshness.signature(root))


class Listing:
    """Filters, orders and customers' objects read from the index alone: the profiles, and
    (``plugins``, the value plugins in the host's order) the values kept there, known fresh by
    :meth:`IndexReader.kept_values` — what ``kehu_core.services.derived_values`` gives after
    making them fresh, without the store."""

    def __init__(self, index: Derived, plugins: list[str] | None, written: frozenset[str] = frozenset(),
                 fresh: tuple[str, Mapping[str, Any]] | None = None, today: dt.date | None = None) -> None:
        self.index = index
        self.today = today  # the day the kept values are fresh for (with ``plugins``)
        self.plugins = plugins  # None: profiles only (a list that neither shows nor filters values)
        self.written = written  # the built-in names kehu.yaml gives its own tiers (kehu_core.names)
        self._fresh = fresh  # the stamps' base and the note of the value plugins

    def fresh_for(self, customer_ids: list[str]) -> bool:
        """Whether every plugin's kept values of these customers are fresh (the page shown)."""
        if self._fresh is None:
            return True
        base, host = self._fresh
        return self.index.values_current(base, host, customer_ids=customer_ids)

    def select(self, **filters: Any) -> list[str]:
        """:meth:`Derived.select_customers` with these filters."""
        return self.index.select_customers(**filters, plugins=self.plugins or ())

    def objects(self, customer_ids: list[str], *, table_for: str | None = None) -> list[dict[str, Any]]:
        """The contract's objects of these customers, in order: the profile (``table_for``: a
        region; only what a table shows, :meth:`Derived.profile_dicts_of`) and the kept values."""
        profiles = self.index.profile_dicts_of(customer_ids, table_for=table_for)
        if self.plugins is None:
            return [profiles[cid] for cid in customer_ids if cid in profiles]
        kept = self.index.derived_of(customer_ids, self.plugins)
        return [{**profiles[cid], **kept.get(cid, {})} for cid in customer_ids if cid in profiles]
