"""The full comparison of the index with the files: every file's size and mtime, one shard at a
time, and the first build of an index from nothing (both on worker processes in a big store)."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from ..clock import system_seconds
from .freshness import differences as _differences
from .freshness import entry_row, scan_tree, walked
from .rows import Batch
from .schema import PURCHASE_INDEX
from .storing import PARALLEL_THRESHOLD, Storing, build_shard, parse_batch, worker_build_shard

if TYPE_CHECKING:
    from concurrent.futures import Future

FULL_SCAN_FILES = 30_000  # up to here a full comparison is cheap enough to do on the main thread
BUILD_COMMIT_FILES = 20_000  # a first build stores this many files to a transaction


def folder_differences(on_disk: Mapping[str, int], known: Mapping[str, int]) -> tuple[dict[str, int], set[str]]:
    """Folders whose mtime moved (with the new one), and indexed folders no longer there."""
    return {d: m for d, m in on_disk.items() if known.get(d) != m}, set(known) - set(on_disk)


class FullRefresh(Storing):
    """The part of the ``Index`` that compares every file with what it knows (``refresh(full=True)``)."""

    def _full_refresh(self) -> int:
        """Compare every file, one top-level folder (shard) at a time, so that memory stays
        bounded by a shard however big the store is (a fresh clone of 1 000 000 files)."""
        started = system_seconds()
        base = self.store.root / "customers"
        children = sorted(os.scandir(base), key=lambda e: e.name) if base.is_dir() else []
        # hidden regular files are none of kehu's (freshness.entry_row): hidden others are named
        children = [c for c in children if not c.name.startswith(".") or not c.is_file(follow_symlinks=False)]
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
        loose = [c for c in children if not walked(c)]
        shards = [c.path for c in children if walked(c)]
        stats = dict(row for c in loose if (row := entry_row(c, root_len)) is not None)
        # files right under customers/ are misplaced records: indexed so that check reports them
        pending = parse_batch(self.store, list(stats.items()))
        pending_folders: dict[str, int] = {}
        count = 0

        done = 0

        def add(parsed: tuple[Batch, dict[str, int]], last: bool = False) -> None:
            nonlocal pending, pending_folders, count, done
            pending.extend(parsed[0])
            pending_folders.update(parsed[1])
            if last or len(pending.files) >= BUILD_COMMIT_FILES:
                self._commit(pending, [], pending_folders, set())
                count += len(pending.files)
                pending, pending_folders = Batch(), {}
            done += 1  # one shard
            if self.on_first_build is not None:
                self.on_first_build(min(done, len(shards)), len(shards))

        first = build_shard(self.store, shards[0]) if shards else (Batch(), {})
        workers = os.cpu_count() or 1
        if workers < 2 or len(first[0].files) * len(shards) < PARALLEL_THRESHOLD:
            add(first)
            for shard in shards[1:]:
                add(build_shard(self.store, shard))
        else:
            pool = self._worker_pool()
            ahead: deque[Future[tuple[Batch, dict[str, int]]]] = deque()
            for shard in shards[1:]:
                ahead.append(pool.submit(worker_build_shard, shard))
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
            row = entry_row(child, root_len) if scanned is None else None
            rel = row[0] if row is not None else child.path[root_len:]  # as the index holds it
            seen_top.add(rel)
            # the row of the shard itself too: a folder that could not be listed (``scan_tree``'s
            # row of it) and can be now was named "unexpected folder" by every check after
            known = {**self._file_stats("path=?", (rel,)), **self._known_files(rel)}
            if scanned is not None:
                on_disk, folders = scanned
                known_dirs = self._known_dirs(rel)
            else:  # and whatever was indexed below it when it was a folder (now a link, a file)
                on_disk, folders, known_dirs = {}, {}, {}
                if row is not None:
                    on_disk[rel] = row[1]
            changed, removed = _differences(on_disk, known)
            updates, gone_dirs = folder_differences(folders, known_dirs)
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
                yield scan_tree(root_len, child.path) if walked(child) else None
            return
        ahead: deque[Future[tuple[dict[str, tuple[int, int]], dict[str, int]]] | None] = deque()
        pool = self._worker_pool()
        for child in children:
            ahead.append(pool.submit(scan_tree, root_len, child.path) if walked(child) else None)
            if len(ahead) > 4 * workers:
                done = ahead.popleft()
                yield done.result() if done is not None else None
        while ahead:
            done = ahead.popleft()
            yield done.result() if done is not None else None
