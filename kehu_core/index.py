"""A derived SQLite index of the store, so list and search never parse every YAML file.

The index is a cache: it lives in ``.kehu/index.sqlite`` (ignored by git), is brought up to date
from file changes (path, size, mtime) before it answers, and can be deleted at any time.
Files that fail to parse or validate are recorded as problems and left out; the rest still work.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Problem, RecordError
from .models import Customer, Purchase
from .textsearch import normalise_query, search_text

if TYPE_CHECKING:
    from .store import Store

INDEX_VERSION = 3
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, customer_id TEXT, kind TEXT);
CREATE TABLE IF NOT EXISTS customers(
    id TEXT PRIMARY KEY, path TEXT, name TEXT, owner TEXT, level TEXT, phone TEXT,
    search TEXT, data TEXT,
    last_contact TEXT, last_purchase TEXT, first_purchase TEXT,
    revenue REAL DEFAULT 0, purchases INTEGER DEFAULT 0);
CREATE INDEX IF NOT EXISTS customers_name ON customers(name);
CREATE INDEX IF NOT EXISTS customers_owner ON customers(owner);
CREATE TABLE IF NOT EXISTS tags(customer_id TEXT, tag TEXT);
CREATE INDEX IF NOT EXISTS tags_tag ON tags(tag);
CREATE INDEX IF NOT EXISTS tags_customer ON tags(customer_id);
CREATE TABLE IF NOT EXISTS interactions(
    customer_id TEXT, id TEXT, kind TEXT, date TEXT, amount REAL, paid INTEGER, due TEXT,
    data TEXT, path TEXT, PRIMARY KEY(customer_id, id));
CREATE INDEX IF NOT EXISTS interactions_path ON interactions(path);
CREATE INDEX IF NOT EXISTS interactions_date ON interactions(date);
CREATE TABLE IF NOT EXISTS problems(path TEXT, line INTEGER, message TEXT);
CREATE INDEX IF NOT EXISTS problems_path ON problems(path);
"""


@dataclass
class Row:
    """A customer as the index knows it: the profile plus figures derived from interactions."""

    customer: Customer
    last_contact: str | None
    last_purchase: str | None
    first_purchase: str | None
    revenue: Decimal
    purchases: int


class Index:
    def __init__(self, store: Store):
        self.store = store
        self.path = store.state_dir / "index.sqlite"
        self.db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        version = None
        try:
            version = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        except sqlite3.OperationalError:
            pass
        if version is None or int(version[0]) != INDEX_VERSION:
            db.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            db.execute("INSERT OR REPLACE INTO meta VALUES('version', ?)", (str(INDEX_VERSION),))
        return db

    # --- keeping up to date -------------------------------------------------------------

    def scan(self) -> dict[str, tuple[int, int]]:
        """Every record file under customers/ with its (size, mtime_ns)."""
        found: dict[str, tuple[int, int]] = {}
        base = self.store.root / "customers"
        root_len = len(str(self.store.root)) + 1

        def walk(folder: str) -> None:
            try:
                entries = os.scandir(folder)
            except OSError:
                return
            with entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        walk(entry.path)
                    elif entry.name.endswith(".yaml") and entry.is_file(follow_symlinks=False):
                        st = entry.stat()
                        found[entry.path[root_len:].replace(os.sep, "/")] = (st.st_size, st.st_mtime_ns)

        walk(str(base))
        return found

    def refresh(self) -> int:
        """Bring the index up to date with the files; returns how many files were re-read."""
        on_disk = self.scan()
        known = {p: (s, m) for p, s, m in self.db.execute("SELECT path, size, mtime FROM files")}
        changed = [p for p, stat in on_disk.items() if known.get(p) != stat]
        removed = [p for p in known if p not in on_disk]
        if changed or removed:
            self._apply(changed, removed, on_disk)
        return len(changed) + len(removed)

    def refresh_paths(self, paths: Iterable[Path]) -> None:
        """Re-read just these files (after kehu itself wrote them)."""
        changed, removed, stats = [], [], {}
        for path in paths:
            rel = self.store.rel(path)
            if path.is_file():
                st = path.stat()
                stats[rel] = (st.st_size, st.st_mtime_ns)
                changed.append(rel)
            else:
                removed.append(rel)
        self._apply(changed, removed, stats)

    def _apply(self, changed: list[str], removed: list[str], stats: dict[str, tuple[int, int]]) -> None:
        db = self.db
        touched: set[str] = set()
        db.execute("BEGIN IMMEDIATE")
        try:
            for rel in removed:
                self._forget(rel, touched)
            for rel in changed:
                self._forget(rel, touched)
                self._read(rel, stats[rel], touched)
            self._recompute(touched)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _forget(self, rel: str, touched: set[str]) -> None:
        db = self.db
        row = db.execute("SELECT customer_id, kind FROM files WHERE path=?", (rel,)).fetchone()
        db.execute("DELETE FROM files WHERE path=?", (rel,))
        db.execute("DELETE FROM problems WHERE path=?", (rel,))
        if row is None:
            return
        cid, kind = row
        touched.add(cid)
        if kind == "customer":
            db.execute("DELETE FROM customers WHERE id=? AND path=?", (cid, rel))
            db.execute("DELETE FROM tags WHERE customer_id=?", (cid,))
        elif kind == "interaction":
            db.execute("DELETE FROM interactions WHERE path=?", (rel,))

    def _read(self, rel: str, stat: tuple[int, int], touched: set[str]) -> None:
        db = self.store.root / rel
        parts = rel.split("/")
        # customers/<shard>/<id>/customer.yaml or customers/<shard>/<id>/interactions/<x>.yaml
        kind = "other"
        cid = parts[2] if len(parts) > 3 else ""
        try:
            if len(parts) == 4 and parts[3] == "customer.yaml":
                kind = "customer"
                self._put_customer(rel, self.store.read_customer_file(db))
            elif len(parts) == 5 and parts[3] == "interactions":
                kind = "interaction"
                self._put_interaction(cid, rel, self.store.read_interaction_file(db))
            elif len(parts) == 4 and parts[3].endswith(".ledger.yaml"):
                kind = "ledger"
        except RecordError as exc:
            self.db.executemany(
                "INSERT INTO problems VALUES(?,?,?)",
                [(rel, p.line, p.message) for p in exc.problems],
            )
        self.db.execute("INSERT OR REPLACE INTO files VALUES(?,?,?,?,?)", (rel, *stat, cid, kind))
        if cid:
            touched.add(cid)

    def _put_customer(self, rel: str, c: Customer) -> None:
        text = search_text(
            c.name, nickname=c.nickname, organization=c.organization,
            phones=c.phones, emails=c.emails, tags=c.tags,
        )
        self.db.execute(
            "INSERT OR REPLACE INTO customers(id, path, name, owner, level, phone, search, data)"
            " VALUES(?,?,?,?,?,?,?,?)",
            (c.id, rel, c.name, c.owner, c.level, c.phones[0] if c.phones else None, text,
             c.model_dump_json()),
        )
        self.db.execute("DELETE FROM tags WHERE customer_id=?", (c.id,))
        self.db.executemany("INSERT INTO tags VALUES(?,?)", [(c.id, t) for t in c.tags])

    def _put_interaction(self, cid: str, rel: str, i: Any) -> None:
        is_purchase = isinstance(i, Purchase)
        self.db.execute(
            "INSERT OR REPLACE INTO interactions VALUES(?,?,?,?,?,?,?,?,?)",
            (cid, i.id, i.kind, i.date.isoformat(),
             float(i.amount) if is_purchase else None,
             int(i.paid) if is_purchase else None,
             i.due.isoformat() if is_purchase and i.due else None,
             i.model_dump_json(), rel),
        )

    def _recompute(self, ids: set[str]) -> None:
        self.db.executemany(
            """UPDATE customers SET
                 last_contact=(SELECT max(date) FROM interactions WHERE customer_id=:id),
                 last_purchase=(SELECT max(date) FROM interactions WHERE customer_id=:id AND kind='purchase'),
                 first_purchase=(SELECT min(date) FROM interactions WHERE customer_id=:id AND kind='purchase'),
                 revenue=coalesce((SELECT sum(amount) FROM interactions WHERE customer_id=:id AND kind='purchase'), 0),
                 purchases=(SELECT count(*) FROM interactions WHERE customer_id=:id AND kind='purchase')
               WHERE id=:id""",
            [{"id": cid} for cid in ids],
        )

    # --- queries ------------------------------------------------------------------------

    _ROW = "SELECT data, last_contact, last_purchase, first_purchase, revenue, purchases FROM customers"

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> Iterator[Row]:
        model = self.store.customer_model
        for data, last_contact, last_purchase, first_purchase, revenue, purchases in self.db.execute(sql, tuple(params)):
            yield Row(
                model.model_validate_json(data), last_contact, last_purchase, first_purchase,
                Decimal(str(round(revenue or 0, 2))), purchases or 0,
            )

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM customers").fetchone()[0]

    def list(
        self, *, tag: str | None = None, owner: str | None = None, level: str | None = None,
        order: str = "name", limit: int | None = None, offset: int = 0,
    ) -> list[Row]:
        where, params = [], []
        if tag:
            where.append("id IN (SELECT customer_id FROM tags WHERE tag=?)")
            params.append(tag)
        if owner:
            where.append("owner=?")
            params.append(owner)
        if level:
            where.append("level=?")
            params.append(level)
        orders = {
            "name": "name, id", "id": "id", "revenue": "revenue DESC, id",
            "last_contact": "last_contact DESC, id", "owner": "owner, name",
        }
        sql = self._ROW + (" WHERE " + " AND ".join(where) if where else "")
        sql += f" ORDER BY {orders.get(order, 'name, id')}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        return list(self._rows(sql, params))

    def ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM customers ORDER BY id")]

    def search(self, query: str, limit: int = 50) -> list[Row]:
        text, digits = normalise_query(query)
        if not text:
            return []
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql = (
            self._ROW + " WHERE search LIKE ? ESCAPE '\\'"
            " ORDER BY (lower(name)=?) DESC, (search LIKE ? ESCAPE '\\') DESC, name, id LIMIT ?"
        )
        prefix = like[1:]
        return list(self._rows(sql, (like, text, prefix, limit)))

    def get(self, customer_id: str) -> Row | None:
        rows = list(self._rows(self._ROW + " WHERE id=?", (customer_id,)))
        return rows[0] if rows else None

    def problems(self) -> list[Problem]:
        return [
            Problem(self.store.root / p, line, msg)
            for p, line, msg in self.db.execute("SELECT path, line, message FROM problems ORDER BY path, line")
        ]

    def purchases(self, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        """Every purchase (optionally dated in [since, until)) as plain dicts, for reports."""
        sql = "SELECT customer_id, data FROM interactions WHERE kind='purchase'"
        params: list[str] = []
        if since:
            sql += " AND date >= ?"
            params.append(since)
        if until:
            sql += " AND date < ?"
            params.append(until)
        out = []
        for cid, data in self.db.execute(sql + " ORDER BY date, customer_id, id", params):
            record = json.loads(data)
            record["customer_id"] = cid
            out.append(record)
        return out

    def interactions(self, kind: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT customer_id, data FROM interactions"
        params: tuple[str, ...] = ()
        if kind:
            sql += " WHERE kind=?"
            params = (kind,)
        out = []
        for cid, data in self.db.execute(sql + " ORDER BY date, customer_id, id", params):
            record = json.loads(data)
            record["customer_id"] = cid
            out.append(record)
        return out
