"""A derived SQLite index of the store, so list and search never parse every YAML file.

The index is a cache: it lives in ``.kehu/index.sqlite`` (ignored by git), is brought up to date
from file changes (path, size, mtime) before it answers, and can be deleted at any time.
Files that fail to parse or validate are recorded as problems and left out; the rest still work.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import sqlite3
import stat as stat_module
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import NotFound, Problem, RecordError
from .models import TRUSTED, Customer, Purchase
from .textsearch import normalise_query, search_text, sort_key

if TYPE_CHECKING:
    from .store import Store

INDEX_VERSION = 10
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, customer_id TEXT, kind TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS customers(
    id TEXT PRIMARY KEY, path TEXT, name TEXT, owner TEXT, level TEXT, phone TEXT,
    search TEXT, short TEXT, data TEXT, sort_name TEXT,
    last_contact TEXT, last_purchase TEXT, first_purchase TEXT,
    revenue REAL DEFAULT 0, purchases INTEGER DEFAULT 0);
-- names in pinyin order (安娜 anna, Ava, 白云 baiyun ... 赵敏 zhaomin), as a phone's contacts
CREATE INDEX IF NOT EXISTS customers_sort ON customers(sort_name, name, id);
CREATE INDEX IF NOT EXISTS customers_owner ON customers(owner);
-- short queries scan this narrow covering index instead of the wide rows
CREATE INDEX IF NOT EXISTS customers_short ON customers(short, id);
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(id UNINDEXED, search, tokenize='trigram');
CREATE TABLE IF NOT EXISTS tags(customer_id TEXT, tag TEXT);
CREATE INDEX IF NOT EXISTS tags_tag ON tags(tag);
CREATE INDEX IF NOT EXISTS tags_customer ON tags(customer_id);
CREATE TABLE IF NOT EXISTS interactions(
    customer_id TEXT, id TEXT, kind TEXT, date TEXT, amount REAL, paid INTEGER, due TEXT,
    data TEXT, PRIMARY KEY(customer_id, id));
CREATE INDEX IF NOT EXISTS interactions_date ON interactions(date);
CREATE TABLE IF NOT EXISTS dirs(path TEXT PRIMARY KEY, mtime INTEGER);
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


FULL_SCAN_FILES = 30_000  # up to here a full size+mtime comparison is cheap (~0.15 s)
FULL_SCAN_EVERY = 600  # seconds between full comparisons in bigger stores
PARALLEL_THRESHOLD = 4000  # below this, starting worker processes costs more than it saves
CACHE_KB = 128 * 1024  # SQLite page cache per connection (an upper bound, used as needed)
BUILD_COMMIT_FILES = 20_000  # a first build stores this many files to a transaction


@dataclass
class Parsed:
    """What one record file contributes to the index (computed in a worker process)."""

    rel: str
    stat: tuple[int, int]
    cid: str
    kind: str
    customer: tuple[Any, ...] | None = None
    tags: list[tuple[str, str]] = field(default_factory=list)
    interaction: tuple[Any, ...] | None = None
    problems: list[tuple[str, int, str]] = field(default_factory=list)


@dataclass
class Batch:
    """Index rows of many parsed files, as plain tuples: cheap to send back from a worker
    process (a dataclass per file cost ~10 µs a file to pickle and unpickle) and ready for
    ``executemany``."""

    files: list[tuple[str, int, int, str, str]] = field(default_factory=list)
    customers: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    interactions: list[tuple[Any, ...]] = field(default_factory=list)
    problems: list[tuple[str, int, str]] = field(default_factory=list)

    def add(self, p: Parsed) -> None:
        self.files.append((p.rel, p.stat[0], p.stat[1], p.cid, p.kind))
        if p.customer:
            self.customers.append(p.customer)
        self.tags += p.tags
        if p.interaction:
            self.interactions.append(p.interaction)
        self.problems += p.problems

    def extend(self, other: Batch) -> None:
        self.files += other.files
        self.customers += other.customers
        self.tags += other.tags
        self.interactions += other.interactions
        self.problems += other.problems


def parse_record(store: Store, rel: str, stat: tuple[int, int]) -> Parsed:
    """Read one file under customers/ into index rows, or into problems."""
    parts = rel.split("/")
    # customers/<shard>/<id>/customer.yaml or customers/<shard>/<id>/interactions/<x>.yaml
    cid = parts[2] if len(parts) > 3 else ""
    out = Parsed(rel, stat, cid, "other")
    path = store.root / rel
    try:
        if len(parts) == 4 and parts[3] == "customer.yaml":
            _customer_rows(out, store.read_customer_file(path))
        elif len(parts) == 5 and parts[3] == "interactions":
            _interaction_rows(out, store.read_interaction_file(path))
        elif len(parts) == 4 and parts[3].endswith(".ledger.yaml"):
            out.kind = "ledger"
    except RecordError as exc:
        out.problems = [(rel, p.line, p.message) for p in exc.problems]
    except OSError as exc:  # vanished or unreadable between the scan and the read
        out.problems = [(rel, 1, f"cannot read: {exc.strerror or exc}")]
    return out


def _docid(customer_id: str) -> int:
    """The full-text row of a customer: a stable number, so it is found without a scan."""
    return int.from_bytes(hashlib.blake2b(customer_id.encode(), digest_size=8).digest(), "big") >> 1


def _customer_rows(out: Parsed, c: Customer) -> None:
    out.kind = "customer"
    text = search_text(c.name, nickname=c.nickname, organization=c.organization,
                       phones=c.phones, emails=c.emails, tags=c.tags)
    short = search_text(c.name, nickname=c.nickname, tags=c.tags)
    out.customer = (c.id, out.rel, c.name, c.owner, c.level, c.phones[0] if c.phones else None,
                    text, short, c.model_dump_json(), sort_key(c.name))
    out.tags = [(c.id, t) for t in c.tags]


def _interaction_rows(out: Parsed, i: Any) -> None:
    out.kind = "interaction"
    is_purchase = isinstance(i, Purchase)
    out.interaction = (
        out.cid, i.id, i.kind, i.date.isoformat(),
        float(i.amount) if is_purchase else None,
        int(i.paid) if is_purchase else None,
        i.due.isoformat() if is_purchase and i.due else None,
        i.model_dump_json(),
    )


def parse_written(rel: str, stat: tuple[int, int], record: Any) -> Parsed:
    """Index rows of a file kehu itself just wrote from ``record`` (validated): the same rows
    :func:`parse_record` would get by reading the file back, without reading it."""
    parts = rel.split("/")
    out = Parsed(rel, stat, parts[2] if len(parts) > 3 else "", "other")
    if isinstance(record, Customer):
        _customer_rows(out, record)
    else:
        _interaction_rows(out, record)
    return out


_WORKER_STORE: Store | None = None


def _worker_init(root: str) -> None:
    global _WORKER_STORE
    from .plugins import open_store

    _WORKER_STORE = open_store(root)


def _parse_batch(store: Store, jobs: list[tuple[str, tuple[int, int]]]) -> Batch:
    batch = Batch()
    for rel, stat in jobs:
        batch.add(parse_record(store, rel, stat))
    return batch


def _worker_parse(jobs: list[tuple[str, tuple[int, int]]]) -> Batch:
    assert _WORKER_STORE is not None
    return _parse_batch(_WORKER_STORE, jobs)


def _build_shard(store: Store, folder: str) -> tuple[Batch, dict[str, int]]:
    """Every file of a shard folder never indexed before (a first build): list and parse it."""
    files, folders = scan_tree(len(str(store.root)) + 1, folder)
    return _parse_batch(store, list(files.items())), folders


def _worker_build_shard(folder: str) -> tuple[Batch, dict[str, int]]:
    assert _WORKER_STORE is not None
    return _build_shard(_WORKER_STORE, folder)


def _differences(on_disk: Mapping[str, tuple[int, int]], known: Mapping[str, tuple[int, int]]
                 ) -> tuple[list[str], list[str]]:
    """Files whose (size, mtime) the index does not have, and indexed files no longer there."""
    return [p for p, stat in on_disk.items() if known.get(p) != stat], [p for p in known if p not in on_disk]


def _folder_differences(on_disk: Mapping[str, int], known: Mapping[str, int]) -> tuple[dict[str, int], set[str]]:
    """Folders whose mtime moved (with the new one), and indexed folders no longer there."""
    return {d: m for d, m in on_disk.items() if known.get(d) != m}, set(known) - set(on_disk)


def scan_tree(root_len: int, top: str) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """Every record file below ``top`` with its (size, mtime_ns), and every folder's mtime;
    paths relative to the store (``root_len`` characters of each absolute path cut off)."""
    files: dict[str, tuple[int, int]] = {}
    folders: dict[str, int] = {}

    def walk(folder: str) -> None:
        try:
            entries = os.scandir(folder)
            folders[folder[root_len:]] = os.stat(folder).st_mtime_ns
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
                    files[entry.path[root_len:]] = (st.st_size, st.st_mtime_ns)

    walk(top)
    return files, folders


class Index:
    def __init__(self, store: Store):
        self.store = store
        self.path = store.state_dir / "index.sqlite"
        self.db = self._connect()
        self._pool: ProcessPoolExecutor | None = None
        self.fully_compared = False  # a full refresh ran through this object (nothing to redo)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        # pages, not bytes, are what random inserts into a big index miss: 2 MB (the default)
        # made a 100 000-customer build spend most of its time re-reading B-tree pages
        db.execute(f"PRAGMA cache_size=-{CACHE_KB}")
        version = None
        with contextlib.suppress(sqlite3.OperationalError):  # a new file has no meta table yet
            version = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
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

    def scan(self, top: str | None = None) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
        """Every record file under ``top`` (default: customers/) with its (size, mtime_ns), and
        every folder's mtime."""
        return scan_tree(len(str(self.store.root)) + 1, top or str(self.store.root / "customers"))

    def refresh(self, full: bool | None = None) -> int:
        """Bring the index up to date with the files; returns how many files were re-read.

        A full refresh compares every file's size and mtime. Big stores (over
        ``FULL_SCAN_FILES`` files) normally do a quick one: only folders whose mtime changed
        are listed again. That sees every file kehu, git, vim or emacs writes (they replace
        files, which touches the folder) but not an in-place rewrite by some editors, which the
        next full refresh (``kehu reindex``, ``kehu check``, or every ``FULL_SCAN_EVERY``
        seconds) picks up.
        """
        if full is None:
            files = self.db.execute("SELECT count(*) FROM files").fetchone()[0]
            last_full = float(self._meta("last_full_scan") or 0)
            full = files <= FULL_SCAN_FILES or time.time() - last_full > FULL_SCAN_EVERY
        return self._full_refresh() if full else self._quick_refresh()

    def _full_refresh(self) -> int:
        """Compare every file, one top-level folder (shard) at a time, so that memory stays
        bounded by a shard however big the store is (a fresh clone of 1 000 000 files)."""
        started = time.time()
        base = self.store.root / "customers"
        children = sorted(os.scandir(base), key=lambda e: e.name) if base.is_dir() else []
        children = [c for c in children if not c.name.startswith(".")]
        try:
            if self.db.execute("SELECT 1 FROM files LIMIT 1").fetchone() is None:
                count = self._first_build(children)
            else:
                count = self._compare_all(children)
            base_mtime = {"customers": base.stat().st_mtime_ns} if base.is_dir() else {}
            self._commit(Batch(), [], base_mtime, set())
        finally:
            self._close_pool()
        self._set_meta("last_full_scan", str(started))
        self.fully_compared = True
        if count > 1000:  # fold a big build's write-ahead log in now, not in the next small save
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return count

    def _first_build(self, children: list[os.DirEntry[str]]) -> int:
        """Index a store from nothing (a fresh clone, a deleted index): every file is read.

        In a big store, worker processes list and parse whole shards a few ahead while this
        process stores the ones already parsed, so parsing and SQLite work overlap. Shards are
        stored ``BUILD_COMMIT_FILES`` files to a transaction (one per shard cost 40 % more).
        """
        root_len = len(str(self.store.root)) + 1
        loose = [c for c in children if not c.is_dir(follow_symlinks=False)]
        shards = [c.path for c in children if c.is_dir(follow_symlinks=False)]
        stats = {c.path[root_len:]: (st.st_size, st.st_mtime_ns) for c in loose
                 if c.name.endswith(".yaml") and c.is_file(follow_symlinks=False) and (st := c.stat())}
        # files right under customers/ are misplaced records: indexed so that check reports them
        pending = _parse_batch(self.store, list(stats.items()))
        pending_folders: dict[str, int] = {}
        count = 0

        def add(parsed: tuple[Batch, dict[str, int]], last: bool = False) -> None:
            nonlocal pending, pending_folders, count
            pending.extend(parsed[0])
            pending_folders.update(parsed[1])
            if last or len(pending.files) >= BUILD_COMMIT_FILES:
                self._commit(pending, [], pending_folders, set())
                count += len(pending.files)
                pending, pending_folders = Batch(), {}

        first = _build_shard(self.store, shards[0]) if shards else (Batch(), {})
        workers = os.cpu_count() or 1
        if workers < 2 or len(first[0].files) * len(shards) < PARALLEL_THRESHOLD:
            add(first)
            for shard in shards[1:]:
                add(_build_shard(self.store, shard))
        else:
            pool = self._worker_pool()
            ahead: deque[Future[tuple[Batch, dict[str, int]]]] = deque()
            for shard in shards[1:]:
                ahead.append(pool.submit(_worker_build_shard, shard))
                if first is not None:  # stored while the workers start on the next shards
                    add(first)
                    first = None
                if len(ahead) > 6 * workers:  # bounded: a dozen shards of rows at most
                    add(ahead.popleft().result())
            while ahead:
                add(ahead.popleft().result())
            if first is not None:
                add(first)
        add((Batch(), {}), last=True)
        return count

    def _compare_all(self, children: list[os.DirEntry[str]]) -> int:
        """Compare each shard's files with what the index knows; re-read what changed."""
        root_len = len(str(self.store.root)) + 1
        count = 0
        seen_top: set[str] = {"customers"}
        for child, scanned in zip(children, self._scans(children, root_len), strict=True):
            rel = child.path[root_len:]
            seen_top.add(rel)
            if scanned is not None:
                on_disk, folders = scanned
                known = self._known_files(rel)
                known_dirs = self._known_dirs(rel)
            else:
                on_disk, folders, known_dirs = {}, {}, {}
                if child.name.endswith(".yaml") and child.is_file(follow_symlinks=False):
                    st = child.stat()
                    on_disk[rel] = (st.st_size, st.st_mtime_ns)
                known = self._file_stats("path=?", (rel,))
            changed, removed = _differences(on_disk, known)
            updates, gone_dirs = _folder_differences(folders, known_dirs)
            self._apply(changed, removed, on_disk, folders=updates, gone_folders=gone_dirs,
                        new={p for p in changed if p not in known})
            count += len(changed) + len(removed)
        # whole shards that disappeared (and files right under customers/ that did)
        top = "substr(path, 1, 10 + instr(substr(path, 11) || '/', '/') - 1)"  # customers/<x>
        gone_tops = [t for (t,) in self.db.execute(
            f"SELECT DISTINCT {top} FROM files WHERE path LIKE 'customers/%'") if t not in seen_top]
        gone: list[str] = []
        for t in gone_tops:  # a vanished shard folder, or a vanished file right under customers/
            gone += [*self._known_files(t), *self._file_stats("path=?", (t,))]
        gone_dirs = {d for (t,) in self.db.execute(
            f"SELECT DISTINCT {top} FROM dirs WHERE path LIKE 'customers/%'") if t not in seen_top
            for d in self._known_dirs(t)}
        self._apply([], gone, {}, gone_folders=gone_dirs)
        return count + len(gone)

    def _scans(self, children: list[os.DirEntry[str]], root_len: int
               ) -> Iterator[tuple[dict[str, tuple[int, int]], dict[str, int]] | None]:
        """``scan_tree`` of each shard folder (None for a file), in order. In a big store worker
        processes list shards ahead while this one compares with the index: listing and
        stat-ing 1 100 000 files is most of a full comparison."""
        big = self.db.execute("SELECT count(*) > ? FROM files", (FULL_SCAN_FILES,)).fetchone()[0]
        workers = os.cpu_count() or 1
        if not big or workers < 2:
            for child in children:
                yield scan_tree(root_len, child.path) if child.is_dir(follow_symlinks=False) else None
            return
        ahead: deque[Future[tuple[dict[str, tuple[int, int]], dict[str, int]]] | None] = deque()
        pool = self._worker_pool()
        for child in children:
            ahead.append(pool.submit(scan_tree, root_len, child.path) if child.is_dir(follow_symlinks=False) else None)
            if len(ahead) > 4 * workers:
                done = ahead.popleft()
                yield done.result() if done is not None else None
        while ahead:
            done = ahead.popleft()
            yield done.result() if done is not None else None

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

    def _quick_refresh(self) -> int:
        """Stat every folder (not every file) and re-list only the folders whose mtime moved.

        A folder that disappeared always moves its parent's mtime, so only the known
        sub-folders of moved folders are checked for being gone. This runs before every command
        in a big store: 200 000 folders at 100 000 customers, so the loop is kept lean.
        """
        known_dirs = dict(self.db.execute("SELECT path, mtime FROM dirs"))
        root = str(self.store.root) + os.sep
        moved: dict[str, int] = {}  # folder (relative) -> its new mtime

        def look(rel: str, mtime: int) -> None:
            if known_dirs.get(rel) != mtime:
                moved[rel] = mtime

        base = root + "customers"
        with contextlib.suppress(FileNotFoundError):
            look("customers", os.stat(base).st_mtime_ns)
            with os.scandir(base) as entries:
                shards = [e.name for e in entries if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)]
            for shard in shards:
                prefix = "customers/" + shard
                try:
                    fd = os.open(base + os.sep + shard, os.O_RDONLY | os.O_DIRECTORY)
                except (FileNotFoundError, NotADirectoryError):  # deleted while we look
                    continue
                try:  # stat relative to the shard's descriptor: no path walk per folder
                    look(prefix, os.fstat(fd).st_mtime_ns)
                    for name in os.listdir(fd):
                        if name.startswith("."):
                            continue
                        try:
                            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                            if not stat_module.S_ISDIR(st.st_mode):
                                continue
                            look(f"{prefix}/{name}", st.st_mtime_ns)
                            look(f"{prefix}/{name}/interactions",
                                 os.stat(name + "/interactions", dir_fd=fd).st_mtime_ns)
                        except FileNotFoundError:  # no interactions yet, or deleted meanwhile
                            pass
                finally:
                    os.close(fd)
        gone: set[str] = set()
        for rel in list(moved):
            gone |= {d for d in self._known_dirs(rel) if d != rel and d not in moved
                     and not os.path.isdir(root + d)}
        if "customers" not in moved and not os.path.isdir(base):
            gone.add("customers")
        stale = [root + rel for rel in moved]
        on_disk: dict[str, tuple[int, int]] = {}
        changed: list[str] = []
        removed: list[str] = []
        for folder in stale:
            rel_dir = folder[len(root):]
            listed: dict[str, tuple[int, int]] = {}
            with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:  # gone: all removed
                for entry in entries:
                    name = entry.name
                    if name.endswith(".yaml") and not name.startswith(".") and entry.is_file(follow_symlinks=False):
                        st = entry.stat()
                        listed[rel_dir + "/" + entry.name] = (st.st_size, st.st_mtime_ns)
            known = self._files_in(rel_dir)
            on_disk.update(listed)
            new_or_changed, gone_files = _differences(listed, known)
            changed += new_or_changed
            removed += gone_files
        for folder in gone:
            removed += self._files_in(folder)
        self._apply(changed, removed, on_disk, folders=moved, gone_folders=gone)
        return len(changed) + len(removed)

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def generation(self) -> str:
        """Changes whenever a record changes (any process): what derived caches are keyed on."""
        return self._meta("generation") or "0"

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", (key, value))

    def refresh_given(self, paths: Iterable[Path]) -> int:
        """Re-read what changed at these files or below these folders, and nothing else: what
        ``kehu reindex PATH`` does for an editor hook or a script that knows what it touched
        (a blind check of a big store has to look at every folder). Returns files re-read."""
        changed: list[str] = []
        removed: list[str] = []
        on_disk: dict[str, tuple[int, int]] = {}
        folders: dict[str, int] = {}
        gone_folders: set[str] = set()
        root = self.store.root.resolve()
        for path in (p.resolve() for p in paths):
            rel = path.relative_to(root).as_posix()
            if path.is_dir():
                files, seen = scan_tree(len(str(root)) + 1, str(path))
                known = self._known_files(rel)
                moved, gone = _folder_differences(seen, self._known_dirs(rel))
                folders.update(moved)
                gone_folders |= gone
            else:
                files = {}
                with contextlib.suppress(FileNotFoundError):
                    st = os.stat(path)
                    files[rel] = (st.st_size, st.st_mtime_ns)
                known = {**self._file_stats("path=?", (rel,)), **self._known_files(rel)}  # a deleted folder too
                if not files and not known:
                    raise NotFound(f"{path}: no such file or folder, and the index knows nothing there")
            on_disk.update(files)
            new_or_changed, gone_files = _differences(files, known)
            changed += new_or_changed
            removed += gone_files
        self._apply(changed, removed, on_disk, folders=folders, gone_folders=gone_folders)
        return len(changed) + len(removed)

    def refresh_paths(self, paths: Iterable[Path], records: Mapping[Path, Any] | None = None) -> None:
        """Re-read just these files (after kehu itself wrote them). ``records`` maps paths to
        the validated record just written there, which is indexed without reading the file."""
        changed, removed, stats = [], [], {}
        written: dict[str, Any] = {}
        for path in paths:
            rel = self.store.rel(path)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                removed.append(rel)
                continue
            stats[rel] = (st.st_size, st.st_mtime_ns)
            record = records.get(path) if records else None
            if record is not None:
                written[rel] = record
            else:
                changed.append(rel)
        self._apply(changed, removed, stats, written=written)

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
            batch.add(parse_written(rel, stats[rel], record))
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
            self._recompute(touched)
            self._store_folders(folders, gone_folders)
            if batch.files or forget:
                # a counter that moves with every change of the records, in every process; it
                # starts at a random value so a rebuilt index never repeats an old generation
                db.execute("INSERT INTO meta VALUES('generation', abs(random() % 1000000000000))"
                           " ON CONFLICT(key) DO UPDATE SET value = value + 1")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _worker_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:  # kept until the refresh ends: it works shard by shard
            ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
            self._pool = ProcessPoolExecutor(os.cpu_count() or 1, mp_context=ctx, initializer=_worker_init,
                                             initargs=(str(self.store.root),))
        return self._pool

    def _parse_all(self, rels: list[str], stats: dict[str, tuple[int, int]]) -> Batch:
        """Parse changed files; big batches (a big git pull) are spread over all cores."""
        jobs = [(rel, stats[rel]) for rel in rels]
        workers = os.cpu_count() or 1
        if workers < 2 or len(jobs) < (64 if self._pool else PARALLEL_THRESHOLD):
            return _parse_batch(self.store, jobs)
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
            " sort_name) VALUES(?,?,?,?,?,?,?,?,?,?)",
            customers,
        )
        db.executemany("DELETE FROM search_fts WHERE rowid=?", [(_docid(c[0]),) for c in customers])
        db.executemany("INSERT INTO search_fts(rowid, id, search) VALUES(?, ?, ?)",
                       [(_docid(c[0]), c[0], c[6]) for c in customers])
        db.executemany("DELETE FROM tags WHERE customer_id=?", [(c[0],) for c in customers])
        db.executemany("INSERT INTO tags VALUES(?,?)", batch.tags)
        db.executemany("INSERT OR REPLACE INTO interactions VALUES(?,?,?,?,?,?,?,?)", batch.interactions)
        db.executemany("INSERT INTO problems VALUES(?,?,?)", batch.problems)
        racy = time.time_ns() - 2_000_000_000  # see _store_folders: re-read such files next time
        db.executemany(
            "INSERT OR REPLACE INTO files VALUES(?,?,?,?,?)",
            [(rel, size, mtime if mtime < racy else -1, cid, kind) for rel, size, mtime, cid, kind in batch.files],
        )
        touched.update(f[3] for f in batch.files if f[3])

    def _store_folders(self, folders: dict[str, int], gone: set[str]) -> None:
        """Remember folder mtimes for the quick refresh. A folder changed in the last two
        seconds is stored as unknown: a change in the same clock tick would not move its mtime."""
        racy = time.time_ns() - 2_000_000_000
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
            db.execute("DELETE FROM customers WHERE id=? AND path=?", (cid, rel))
            db.execute("DELETE FROM tags WHERE customer_id=?", (cid,))
            db.execute("DELETE FROM search_fts WHERE rowid=?", (_docid(cid),))
        elif kind == "interaction":
            # an interaction's id is its file name (reading the file checks that)
            db.execute("DELETE FROM interactions WHERE customer_id=? AND id=?",
                       (cid, rel.rsplit("/", 1)[-1].removesuffix(".yaml")))

    def _recompute(self, ids: set[str]) -> None:
        """Figures derived from interactions (last contact, revenue ...) of these customers."""
        if not ids:
            return
        db = self.db
        db.execute("CREATE TEMP TABLE IF NOT EXISTS touched(id TEXT PRIMARY KEY)")
        db.execute("DELETE FROM touched")
        db.executemany("INSERT OR IGNORE INTO touched VALUES(?)", [(cid,) for cid in ids])
        # one grouped pass over just these customers' interactions (the primary key leads with
        # customer_id); customers with none left get zeros from the LEFT JOIN
        db.execute(
            """UPDATE customers SET last_contact=a.last_contact, last_purchase=a.last_purchase,
                 first_purchase=a.first_purchase, revenue=a.revenue, purchases=a.purchases
               FROM (SELECT t.id AS customer_id, max(i.date) AS last_contact,
                       max(CASE WHEN i.kind='purchase' THEN i.date END) AS last_purchase,
                       min(CASE WHEN i.kind='purchase' THEN i.date END) AS first_purchase,
                       coalesce(sum(CASE WHEN i.kind='purchase' THEN i.amount END), 0) AS revenue,
                       count(CASE WHEN i.kind='purchase' THEN 1 END) AS purchases
                     FROM touched t LEFT JOIN interactions i ON i.customer_id = t.id
                     GROUP BY t.id) AS a
               WHERE a.customer_id = customers.id"""
        )

    # --- queries ------------------------------------------------------------------------

    _ROW = "SELECT data, last_contact, last_purchase, first_purchase, revenue, purchases FROM customers"

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> Iterator[Row]:
        model = self.store.customer_model
        rows = self.db.execute(sql, tuple(params))
        for data, last_contact, last_purchase, first_purchase, revenue, purchases in rows:
            yield Row(
                model.model_validate_json(data, context=TRUSTED), last_contact, last_purchase, first_purchase,
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
            "name": "sort_name, name, id", "id": "id", "revenue": "revenue DESC, id",
            "last_contact": "last_contact DESC, id", "owner": "owner, sort_name, name, id",
        }
        sql = self._ROW + (" WHERE " + " AND ".join(where) if where else "")
        sql += f" ORDER BY {orders.get(order, 'name, id')}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        return list(self._rows(sql, params))

    def each(self) -> Iterator[Row]:
        """Every customer, one at a time (a whole-store pass without 100 000 rows in memory)."""
        return self._rows(self._ROW + " ORDER BY id")

    def ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM customers ORDER BY id")]

    def search(self, query: str, limit: int = 50) -> list[Row]:
        """Customers whose name, pinyin, initials, phone digits, email or tag contain ``query``.

        Three letters or more are looked up in a trigram full-text index; shorter queries (``zm``,
        ``赵敏``) scan the short column of names, pinyin and tags only, which is fast enough.
        """
        text, _ = normalise_query(query)
        if not text:
            return []
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        if len(text) >= 3 and escaped == text:  # the trigram index cannot take an ESCAPE clause
            where = "id IN (SELECT id FROM search_fts WHERE search LIKE ?)"
        elif len(text) < 3:
            where = "id IN (SELECT id FROM customers WHERE short LIKE ? ESCAPE '\\')"
        else:
            where = "search LIKE ? ESCAPE '\\'"
        sql = (
            self._ROW + f" WHERE {where}"
            " ORDER BY (lower(name)=?) DESC, (search LIKE ? ESCAPE '\\') DESC, sort_name, name, id LIMIT ?"
        )
        return list(self._rows(sql, (like, text, like[1:], limit)))

    def get(self, customer_id: str) -> Row | None:
        rows = list(self._rows(self._ROW + " WHERE id=?", (customer_id,)))
        return rows[0] if rows else None

    def problems(self) -> list[Problem]:
        return [
            Problem(self.store.root / p, line, msg)
            for p, line, msg in self.db.execute("SELECT path, line, message FROM problems ORDER BY path, line")
        ]

    def purchases(self, since: str | None = None, until: str | None = None) -> Iterator[dict[str, Any]]:
        """Every purchase (optionally dated in [since, until)) as plain dicts, for reports: one at
        a time, in date order (a year of a big shop is 600 000 purchases: never all in memory)."""
        where, params = ["kind='purchase'"], []
        if since:
            where.append("date >= ?")
            params.append(since)
        if until:
            where.append("date < ?")
            params.append(until)
        return self._interaction_records(where, params)

    def interactions(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every interaction (optionally of one kind) as plain dicts with ``customer_id``."""
        where, params = (["kind=?"], [kind]) if kind else ([], [])
        return list(self._interaction_records(where, params))

    def _interaction_records(self, where: list[str], params: list[str]) -> Iterator[dict[str, Any]]:
        sql = "SELECT customer_id, data FROM interactions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        # a cursor of its own: the caller may query the index while it walks these
        for cid, data in self.db.cursor().execute(sql + " ORDER BY date, customer_id, id", params):
            record = json.loads(data)
            record["customer_id"] = cid
            yield record
