"""Reading changed record files into index rows (on worker processes when there are many) and
storing them: every change in one transaction that also moves the index generation, so that
anything derived from the records (plugin caches, plugin tables) can tell it is stale.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .connection import IndexConnection
from .freshness import scan_tree
from .rows import Batch, Parsed, docid, parse_record, parse_written
from .schema import full, no_room

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from ..store import Store

PARALLEL_THRESHOLD = 4000  # below this, starting worker processes costs more than it saves


_WORKER_STORE: Store | None = None


def _worker_init(opener: Callable[..., Store], root: str, options: dict[str, Any]) -> None:
    """A worker's own store, opened the way the parent's was (``opener`` is ``Store.open``,
    handed over by reference: the index does not import the store that owns it)."""
    global _WORKER_STORE
    _WORKER_STORE = opener(root, **options)


def parse_batch(store: Store, jobs: list[tuple[str, tuple[int, int]]]) -> Batch:
    """The records at ``jobs`` (a path under the store and its stat pair as listed), parsed into one batch."""
    batch = Batch()
    for rel, stat in jobs:
        batch.add(parse_record(store, rel, stat))
    return batch


def _worker_parse(jobs: list[tuple[str, tuple[int, int]]]) -> Batch:
    assert _WORKER_STORE is not None
    return parse_batch(_WORKER_STORE, jobs)


def build_shard(store: Store, folder: str) -> tuple[Batch, dict[str, int]]:
    """Every file of a shard folder never indexed before (a first build): list and parse it."""
    files, folders = scan_tree(len(str(store.root)) + 1, folder)
    return parse_batch(store, list(files.items())), folders


def worker_build_shard(folder: str) -> tuple[Batch, dict[str, int]]:
    """:func:`build_shard` in a worker process of the pool, with that process's store."""
    assert _WORKER_STORE is not None
    return build_shard(_WORKER_STORE, folder)



class Storing(IndexConnection):
    """The part of the ``Index`` that stores what was read from the files, and looks up what
    it knows of them (the refresh builds on it)."""

    _pool: ProcessPoolExecutor | None  # set by Refresher.__init__

    def _file_stats(self, where: str, params: tuple[Any, ...]) -> dict[str, tuple[int, int]]:
        """(size, mtime) of the indexed files matching ``where``."""
        rows = self.db.execute(f"SELECT path, size, mtime FROM files WHERE {where}", params)
        return {path: (size, mtime) for path, size, mtime in rows}

    def _known_files(self, folder: str) -> dict[str, tuple[int, int]]:
        """Indexed files anywhere below ``folder``."""
        return self._file_stats("path > ? AND path < ?", (folder + "/", folder + "/\uffff"))

    def _files_in(self, folder: str) -> dict[str, tuple[int, int]]:
        """Indexed files directly in ``folder`` (not in its sub-folders)."""
        return self._file_stats("path > ? AND path < ? AND instr(substr(path, ?), '/') = 0",
                                (folder + "/", folder + "/\uffff", len(folder) + 2))

    def _known_dirs(self, folder: str) -> dict[str, int]:
        return dict(self.db.execute(
            "SELECT path, mtime FROM dirs WHERE path = ? OR (path > ? AND path < ?)",
            (folder, folder + "/", folder + "/\uffff")))

    def _apply(
        self, changed: list[str], removed: list[str], stats: dict[str, tuple[int, int]],
        *, folders: dict[str, int] | None = None, gone_folders: set[str] | None = None,
        written: dict[str, Any] | None = None, new: set[str] | None = None,
    ) -> None:
        """Re-read ``changed`` files and forget ``removed`` ones, in one transaction.
        ``new``: changed paths the caller knows the index has never seen (nothing to forget)."""
        if written:
            changed = [*changed, *written]
        if not (changed or removed or folders or gone_folders):
            return
        written = written or {}
        batch = self._parse_all([rel for rel in changed if rel not in written], stats)
        for rel, record in written.items():
            batch.add(record if isinstance(record, Parsed)
                      else parse_written(rel, stats[rel], record, self.store.config.region))
        forget = [rel for rel in [*removed, *changed] if new is None or rel not in new]
        self._commit(batch, forget, folders or {}, gone_folders or set())

    def _commit(self, batch: Batch, forget: list[str], folders: dict[str, int], gone_folders: set[str]) -> None:
        """Forget files, store parsed ones and folder mtimes: one transaction."""
        db = self.db
        touched: set[str] = set()
        db.execute("BEGIN IMMEDIATE")
        try:
            if forget and db.execute("SELECT 1 FROM files LIMIT 1").fetchone() is not None:
                for rel in forget:
                    self._forget(rel, touched)
            self._store_batch(batch, touched)
            self._mark_orphans(touched)
            if batch.files or forget:
                # a counter that moves with every change of the records, in every process; it
                # starts at a random value so a rebuilt index never repeats an old generation
                db.execute("INSERT INTO meta VALUES('generation', abs(random() % 1000000000000))"
                           " ON CONFLICT(key) DO UPDATE SET value = value + 1")
            self._recompute(touched)
            self._store_folders(folders, gone_folders)
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:  # SQLite itself rolled back on a full disk: a ROLLBACK then
                db.execute("ROLLBACK")  # failed "no transaction is active", hiding why
            if full(exc):  # the disk the store is on is full: one line naming the index, as for a record
                raise no_room(self.path) from None
            raise

    def _worker_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:  # kept until the refresh ends: it works shard by shard
            import multiprocessing  # only a big build or a big pull works on several cores
            from concurrent.futures import ProcessPoolExecutor

            ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
            self._pool = ProcessPoolExecutor(os.cpu_count() or 1, mp_context=ctx, initializer=_worker_init,
                                             initargs=(type(self.store).open, str(self.store.root),
                                                       {"plugins": True, "today": self.store.today}))
        return self._pool

    def _parse_all(self, rels: list[str], stats: dict[str, tuple[int, int]]) -> Batch:
        """Parse changed files; big batches (a big git pull) are spread over all cores."""
        jobs = [(rel, stats[rel]) for rel in rels]
        workers = os.cpu_count() or 1
        if workers < 2 or len(jobs) < (64 if self._pool else PARALLEL_THRESHOLD):
            return parse_batch(self.store, jobs)
        chunk = max(100, len(jobs) // (workers * 4))
        batches = [jobs[i:i + chunk] for i in range(0, len(jobs), chunk)]
        out = Batch()
        for part in self._worker_pool().map(_worker_parse, batches):
            out.extend(part)
        return out

    def _close_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _store_batch(self, batch: Batch, touched: set[str]) -> None:
        db = self.db
        customers = batch.customers
        db.executemany(
            "INSERT OR REPLACE INTO customers(id, path, name, owner, level, phone, search, short, data,"
            " sort_name, phone_region, phone_shown, sealed, plugin_fields) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            customers,
        )
        db.executemany("DELETE FROM search_fts WHERE rowid=?", [(docid(c[0]),) for c in customers])
        db.executemany("INSERT INTO search_fts(rowid, id, search) VALUES(?, ?, ?)",
                       [(docid(c[0]), c[0], c[6]) for c in customers])
        db.executemany("DELETE FROM tags WHERE customer_id=?", [(c[0],) for c in customers])
        db.executemany("INSERT INTO tags VALUES(?,?)", batch.tags)
        db.executemany("INSERT OR REPLACE INTO interactions VALUES(?,?,?,?,?,?,?,?,?,?)", batch.interactions)
        db.executemany("INSERT INTO ledger_entries VALUES(?,?,?,?)", batch.entries)
        db.executemany("INSERT INTO problems VALUES(?,?,?)", batch.problems)
        # a file written in the last two seconds (see _store_folders) is kept with its mtime
        # negated: it differs from the file's, so the next refresh reads it again, and what it was
        # is still known to customer_stamps (kept as -1, its stamp moved two seconds after a
        # write when the mtime became known, and kehu serve's card of a customer nobody had
        # touched got a new ETag: a phone's edit sent with the ETag it had listed was refused)
        racy = self._filesystem_now_ns() - 2_000_000_000
        db.executemany(
            "INSERT OR REPLACE INTO files VALUES(?,?,?,?,?)",
            [(rel, size, mtime if mtime < racy else -mtime, cid, kind) for rel, size, mtime, cid, kind in batch.files],
        )
        touched.update(f[3] for f in batch.files if f[3])

    def _mark_orphans(self, touched: set[str]) -> None:
        """Whether each customer whose files changed has records (interactions, ledgers) and no
        profile file in their folder (``orphans``): only their files' rows can change it."""
        ids = [(cid,) for cid in touched if cid]
        self.db.executemany("DELETE FROM orphans WHERE customer_id=?", ids)
        self.db.executemany(
            "INSERT INTO orphans SELECT ?1 WHERE EXISTS (SELECT 1 FROM files WHERE kind IN ('interaction', 'ledger')"
            " AND customer_id=?1) AND NOT EXISTS (SELECT 1 FROM files WHERE kind='customer' AND customer_id=?1)", ids)

    def _filesystem_now_ns(self) -> int:
        """Now, as the file system stamps files: the mtime of a file made for the purpose. The
        process's clock may differ from the one that stamps files (a faked clock, a network
        file system), and "changed in the last two seconds" must be on the files' clock."""
        with tempfile.TemporaryFile(dir=self.store.state_dir) as probe:
            return os.fstat(probe.fileno()).st_mtime_ns

    def _store_folders(self, folders: dict[str, int], gone: set[str]) -> None:
        """Remember folder mtimes for the quick refresh. A folder changed in the last two
        seconds is stored as unknown: a change in the same clock tick would not move its mtime."""
        racy = self._filesystem_now_ns() - 2_000_000_000
        self.db.executemany("DELETE FROM dirs WHERE path=?", [(d,) for d in gone])
        self.db.executemany(
            "INSERT OR REPLACE INTO dirs VALUES(?, ?)",
            [(path, mtime if mtime < racy else -1) for path, mtime in folders.items()],
        )

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
            # whom they were referred by: that customer's values may change too (see _recompute)
            referrer = db.execute("SELECT json_extract(data, '$.referrer') FROM customers WHERE id=?",
                                  (cid,)).fetchone()
            if referrer and referrer[0]:
                touched.add(referrer[0])
            db.execute("DELETE FROM customers WHERE id=? AND path=?", (cid, rel))
            db.execute("DELETE FROM tags WHERE customer_id=?", (cid,))
            db.execute("DELETE FROM search_fts WHERE rowid=?", (docid(cid),))
            db.execute("DELETE FROM derived WHERE customer_id=?", (cid,))
        elif kind == "interaction":
            # an interaction's id is its file name (reading the file checks that)
            db.execute("DELETE FROM interactions WHERE customer_id=? AND id=?",
                       (cid, rel.rsplit("/", 1)[-1].removesuffix(".yaml")))
        elif kind == "ledger":
            db.execute("DELETE FROM ledger_entries WHERE path=?", (rel,))

    def _recompute(self, ids: set[str]) -> None:
        """Figures derived from interactions (last contact, revenue ...) of these customers."""
        if not ids:
            return
        db = self.db
        db.execute("CREATE TEMP TABLE IF NOT EXISTS touched(id TEXT PRIMARY KEY)")
        db.execute("DELETE FROM touched")
        db.executemany("INSERT OR IGNORE INTO touched VALUES(?)", [(cid,) for cid in ids])
        # a change of a referred customer (added, buying) is a change for the one who referred
        # them (a thanks reminder, a referral count): their version moves as well
        db.execute("""INSERT OR IGNORE INTO touched SELECT json_extract(data, '$.referrer') FROM customers
                      WHERE id IN (SELECT id FROM touched) AND json_extract(data, '$.referrer') IS NOT NULL""")
        # one grouped pass over just these customers' interactions (the primary key leads with
        # customer_id); customers with none left get zeros from the LEFT JOIN
        db.execute(
            """UPDATE customers SET last_contact=a.last_contact, last_purchase=a.last_purchase,
                 first_purchase=a.first_purchase, revenue=a.revenue, purchases=a.purchases,
                 cents=a.cents,
                 version=(SELECT CAST(value AS INTEGER) FROM meta WHERE key='generation')
               FROM (SELECT t.id AS customer_id, max(i.date) AS last_contact,
                       max(CASE WHEN i.kind='purchase' THEN i.date END) AS last_purchase,
                       min(CASE WHEN i.kind='purchase' THEN i.date END) AS first_purchase,
                       coalesce(sum(CASE WHEN i.kind='purchase' THEN i.amount END), 0) AS revenue,
                       count(CASE WHEN i.kind='purchase' THEN 1 END) AS purchases,
                       coalesce(sum(CASE WHEN i.kind='purchase' THEN CAST(round(i.amount * 100) AS INTEGER) END),
                                0) AS cents
                     FROM touched t LEFT JOIN interactions i ON i.customer_id = t.id
                     GROUP BY t.id) AS a
               WHERE a.customer_id = customers.id"""
        )
