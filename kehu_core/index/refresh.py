"""Keeping the index up to date with the files: the full comparison, the quick one (folder
mtimes), a first build on worker processes, and re-reading named paths after a write.

Every change is stored in one transaction that also moves the index generation, so that
anything derived from the records (plugin caches, plugin tables) can tell it is stale.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import stat as stat_module
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import system_seconds
from ..errors import NotFound
from ..i18n import _
from . import freshness
from .connection import IndexConnection
from .freshness import differences as _differences
from .freshness import indexed_entry, indexed_mode, scan_tree
from .rows import Batch, Parsed, docid, parse_record, parse_written
from .schema import PURCHASE_INDEX

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from ..store import Store

FULL_SCAN_FILES = 30_000  # up to here a full comparison is cheap enough to do on the main thread
FULL_SCAN_EVERY = 3600  # seconds between full comparisons in bigger stores (seconds at 100 000)
PARALLEL_THRESHOLD = 4000  # below this, starting worker processes costs more than it saves
BUILD_COMMIT_FILES = 20_000  # a first build stores this many files to a transaction


_WORKER_STORE: Store | None = None


def _worker_init(opener: Callable[..., Store], root: str, options: dict[str, Any]) -> None:
    """A worker's own store, opened the way the parent's was (``opener`` is ``Store.open``,
    handed over by reference: the index does not import the store that owns it)."""
    global _WORKER_STORE
    _WORKER_STORE = opener(root, **options)


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


def _folder_differences(on_disk: Mapping[str, int], known: Mapping[str, int]) -> tuple[dict[str, int], set[str]]:
    """Folders whose mtime moved (with the new one), and indexed folders no longer there."""
    return {d: m for d, m in on_disk.items() if known.get(d) != m}, set(known) - set(on_disk)


class Refresher(IndexConnection):
    """The part of the ``Index`` that brings it up to date with the files."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._pool: ProcessPoolExecutor | None = None
        self.fully_compared = False  # a full refresh ran through this object (nothing to redo)

    # --- keeping up to date -------------------------------------------------------------

    def scan(self, top: str | None = None) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
        """Every record file under ``top`` (default: customers/) with its (size, mtime_ns), and
        every folder's mtime."""
        return scan_tree(len(str(self.store.root)) + 1, top or str(self.store.root / "customers"))

    def differing_files(self) -> list[str]:
        """Record files (relative paths) added, changed or removed since the index last saw
        them: a full comparison that only looks and writes nothing, so a watcher can run it on
        an index of its own in another thread and re-read just these through the main one."""
        on_disk, _folders = self.scan()
        changed, removed = _differences(on_disk, self._file_stats("1", ()))
        return changed + removed

    def refresh(self, full: bool | None = None) -> int:
        """Bring the index up to date with the files; returns how many files were re-read.

        ``full=True`` compares every file's size and mtime (``kehu check``, ``kehu reindex``);
        ``full=False`` looks at every folder's mtime and re-lists the folders that moved: that
        sees every file kehu, git, vim or emacs writes (they replace files, which touches the
        folder) but not an in-place rewrite by some editors. Without ``full`` (what every
        command does first) the index answers as it is when :mod:`.freshness` says nothing
        can have changed, catches up with git from the commit it last saw, and otherwise
        looks (quickly, or fully every ``FULL_SCAN_EVERY`` seconds). Small stores are always
        compared in full: it costs milliseconds.
        """
        if full is None:
            # counted up to the limit only: a count of 700 000 rows took 0.4 s of every command
            files = self.db.execute("SELECT count(*) FROM (SELECT 1 FROM files LIMIT ?)",
                                    (freshness.SMALL_STORE_FILES + 1,)).fetchone()[0]
            if files <= freshness.SMALL_STORE_FILES:
                full = True
            else:
                now = freshness.signature(self.store.root)
                seen = freshness.load(self._meta("signature"))
                if freshness.trusted(seen, float(self._meta("looked_at") or 0), now):
                    return 0
                last_full = float(self._meta("last_full_scan") or 0)
                if system_seconds() - last_full > FULL_SCAN_EVERY:
                    full = True
                elif seen and seen.get("config") == now["config"] and seen.get("head") != now["head"]:
                    count = self.catch_up_with_git()
                    if count is not None:
                        return count
                    full = False
                else:
                    full = False
        count = self._full_refresh() if full else self._quick_refresh()
        self.remember_look()
        return count

    def remember_look(self) -> None:
        """Note the store's signature and the store's settings the reader needs: until the
        signature moves (or ``RECHECK_EVERY`` passes), the index answers without looking."""
        rows = [("signature", freshness.dump(freshness.signature(self.store.root))),
                ("settings", freshness.dump(self._reader_settings())),
                ("looked_at", str(system_seconds()))]
        with contextlib.suppress(sqlite3.OperationalError):  # a read-only index: look next time
            # one statement, one commit: this runs after every look, small stores every command
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES(?, ?)", rows)

    def _reader_settings(self) -> dict[str, Any]:
        """What of kehu.yaml answers read from the index alone need (IndexReader.settings):
        the phone region; for ``customer show``, the credit terms' and the attitude's rules."""
        from ..credit import terms_settings

        config = self.store.config
        return {"region": config.region,
                "show": {"credit": terms_settings(config), "attitude": config.attitude.model_dump(mode="json")}}

    def catch_up_with_git(self) -> int | None:
        """Re-read exactly the record files git changed between the commit the index last saw
        and HEAD (a pull, a checkout, a rebase: what the git hooks call). None when git cannot
        tell (no commit seen, one that no longer exists): then the caller looks at the folders."""
        old = freshness.load(self._meta("signature")).get("head")
        new = freshness.git_head(self.store.root)
        if not old or not new:
            return None
        if old == new:
            self.remember_look()
            return 0
        changed = freshness.git_changed_paths(self.store.root, old, new)
        if changed is None:
            return None
        root = self.store.root
        known: set[str] = set()
        for first in range(0, len(changed), 500):  # SQLite's limit on parameters
            part = tuple(changed[first:first + 500])
            known |= set(self._file_stats(f"path IN ({','.join('?' * len(part))})", part))
        paths = [root / rel for rel in changed if rel in known or (root / rel).exists()]
        count = self.refresh_given(paths) if paths else 0
        self.remember_look()
        return count

    def _full_refresh(self) -> int:
        """Compare every file, one top-level folder (shard) at a time, so that memory stays
        bounded by a shard however big the store is (a fresh clone of 1 000 000 files)."""
        started = system_seconds()
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
                 if indexed_entry(c) and (st := c.stat(follow_symlinks=False))}
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
        self.db.execute(PURCHASE_INDEX)
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
                if indexed_entry(child):
                    st = child.stat(follow_symlinks=False)
                    on_disk[rel] = (st.st_size, st.st_mtime_ns)
                # and whatever was indexed below it when it was a folder (now a link, a file)
                known = {**self._file_stats("path=?", (rel,)), **self._known_files(rel)}
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
            if os.path.islink(folder):  # never listed through (a full refresh names it)
                continue
            with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:  # gone: all removed
                for entry in entries:
                    if indexed_entry(entry):
                        st = entry.stat(follow_symlinks=False)
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

    def refresh_given(self, paths: Iterable[Path]) -> int:
        """Re-read what changed at these files or below these folders, and nothing else: what
        ``kehu reindex PATH`` does for an editor hook or a script that knows what it touched
        (a blind check of a big store has to look at every folder). Returns files re-read."""
        root = self.store.root.resolve()
        return self._refresh_rels([p.resolve().relative_to(root).as_posix() for p in paths], strict=True)

    def refresh_changed(self, rels: Iterable[str]) -> int:
        """Re-read what changed at these paths (relative to the store, as git names them: what
        ``kehu sync`` finds changed since it last verified the store), never through a link:
        a path below a link, or below what is no folder, stands for that link or file (which
        ``kehu check`` names), as a full comparison lists it."""
        root = str(self.store.root)
        targets: set[str] = set()
        for rel in rels:
            parts = rel.split("/")
            if parts[0] != "customers" or len(parts) < 2 or any(p.startswith(".") for p in parts):
                continue  # not a record (full comparisons never list hidden names either)
            for depth in range(2, len(parts) + 1):
                target = "/".join(parts[:depth])
                try:
                    mode = os.lstat(f"{root}/{target}").st_mode
                except (FileNotFoundError, NotADirectoryError):
                    break  # gone: forget what the index knew there
                except PermissionError:  # a folder above cannot be entered: it is what check names
                    target = "/".join(parts[:depth - 1]) if depth > 2 else ""
                    break
                if not stat_module.S_ISDIR(mode):
                    break  # a file, a link, a FIFO: looked at itself, never through
            if target:  # (customers/ itself unreadable: every command says so on opening the index)
                targets.add(target)
        # a folder looked at holds its files: those need no look of their own
        tops = [t for t in sorted(targets)
                if not any("/".join(t.split("/")[:n]) in targets for n in range(2, t.count("/") + 1))]
        return self._refresh_rels(tops, strict=False)

    def _refresh_rels(self, rels: list[str], strict: bool) -> int:
        changed: list[str] = []
        removed: list[str] = []
        on_disk: dict[str, tuple[int, int]] = {}
        folders: dict[str, int] = {}
        gone_folders: set[str] = set()
        root = str(self.store.root.resolve())
        for rel in rels:
            path = f"{root}/{rel}"
            try:
                st: os.stat_result | None = os.lstat(path)
            except (FileNotFoundError, NotADirectoryError):
                st = None
            name = rel.rsplit("/", 1)[-1]
            if st is not None and stat_module.S_ISDIR(st.st_mode) and not name.endswith(".yaml"):
                files, seen = scan_tree(len(root) + 1, path)
                known = self._known_files(rel)
                moved, gone = _folder_differences(seen, self._known_dirs(rel))
                folders.update(moved)
                gone_folders |= gone
            else:
                files = {rel: (st.st_size, st.st_mtime_ns)} if st and indexed_mode(name, st.st_mode) else {}
                known = {**self._file_stats("path=?", (rel,)), **self._known_files(rel)}  # a deleted folder too
                if st is None:  # and the folders the index knew there, if it was one
                    gone_folders |= set(self._known_dirs(rel))
                if strict and st is None and not known:
                    raise NotFound(_("{path}: no such file or folder, and the index knows nothing there").format(
                        path=path))
            on_disk.update(files)
            new_or_changed, gone_files = _differences(files, known)
            changed += new_or_changed
            removed += gone_files
        self._apply(changed, removed, on_disk, folders=folders, gone_folders=gone_folders)
        return len(changed) + len(removed)

    def refresh_paths(self, paths: Iterable[Path], records: Mapping[Path, Any] | None = None,
                      rows: Mapping[Path, Parsed] | None = None) -> None:
        """Re-read just these files (after kehu itself wrote them). ``records`` maps paths to
        the validated record just written there, which is indexed without reading the file;
        ``rows`` to the index rows :func:`parse_written` already made of such a record."""
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
            made = rows.get(path) if rows and record is not None else None
            if made is not None:
                made.stat = stats[rel]  # the rows of the record as written, at this size and time
                written[rel] = made
            elif record is not None:
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
            if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
                # the disk the store is on is full: one line naming the index, as for a record
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path)) from None
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
            " sort_name, phone_region, phone_shown) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
            customers,
        )
        db.executemany("DELETE FROM search_fts WHERE rowid=?", [(docid(c[0]),) for c in customers])
        db.executemany("INSERT INTO search_fts(rowid, id, search) VALUES(?, ?, ?)",
                       [(docid(c[0]), c[0], c[6]) for c in customers])
        db.executemany("DELETE FROM tags WHERE customer_id=?", [(c[0],) for c in customers])
        db.executemany("INSERT INTO tags VALUES(?,?)", batch.tags)
        db.executemany("INSERT OR REPLACE INTO interactions VALUES(?,?,?,?,?,?,?,?,?)", batch.interactions)
        db.executemany("INSERT INTO problems VALUES(?,?,?)", batch.problems)
        racy = self._filesystem_now_ns() - 2_000_000_000  # see _store_folders: re-read them next time
        db.executemany(
            "INSERT OR REPLACE INTO files VALUES(?,?,?,?,?)",
            [(rel, size, mtime if mtime < racy else -1, cid, kind) for rel, size, mtime, cid, kind in batch.files],
        )
        touched.update(f[3] for f in batch.files if f[3])

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
                 version=(SELECT CAST(value AS INTEGER) FROM meta WHERE key='generation')
               FROM (SELECT t.id AS customer_id, max(i.date) AS last_contact,
                       max(CASE WHEN i.kind='purchase' THEN i.date END) AS last_purchase,
                       min(CASE WHEN i.kind='purchase' THEN i.date END) AS first_purchase,
                       coalesce(sum(CASE WHEN i.kind='purchase' THEN i.amount END), 0) AS revenue,
                       count(CASE WHEN i.kind='purchase' THEN 1 END) AS purchases
                     FROM touched t LEFT JOIN interactions i ON i.customer_id = t.id
                     GROUP BY t.id) AS a
               WHERE a.customer_id = customers.id"""
        )
