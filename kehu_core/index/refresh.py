"""Keeping the index up to date with the files: the full comparison, the quick one (folder
mtimes), a first build on worker processes, and re-reading named paths after a write.

Every change is stored in one transaction that also moves the index generation, so that
anything derived from the records (plugin caches, plugin tables) can tell it is stale.

The full comparison and the first build are :mod:`.full_refresh`'s; reading the changed files
into rows and storing them, :mod:`.storing`'s. ``Refresher`` builds on both.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat as stat_module
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import system_seconds
from ..errors import NotFound
from ..i18n import _
from ..store.layout import CUSTOMERS_DIR
from . import freshness
from .freshness import differences as _differences
from .freshness import entry_row, indexed_mode, record_like, scan_tree, stamp, text_name, walked
from .full_refresh import FullRefresh, folder_differences
from .rows import Parsed

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from ..store import Store

FULL_SCAN_EVERY = 3600  # seconds between full comparisons in bigger stores (seconds at 100 000)


class Refresher(FullRefresh):
    """The part of the ``Index`` that brings it up to date with the files."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._pool: ProcessPoolExecutor | None = None
        self.fully_compared = False  # a full refresh ran through this object (nothing to redo)

    # --- keeping up to date -------------------------------------------------------------

    def scan(self, top: str | None = None) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
        """Every record file under ``top`` (default: customers/) with its ``freshness.stamp``, and
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
        self.follow_file()  # another process made the index's file anew: read that one
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

    def built(self) -> bool:
        """Whether the index was ever filled from every record (its first build finished): one
        a quit or a kill left half built holds part of the store, though it answers at once."""
        return self._meta("last_full_scan") is not None

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
        the phone region; for ``customer show``, the credit terms' and the attitude's rules;
        names under ``plugins: enabled:``/``disabled:`` no plugin installed has, which every
        command says (:mod:`kehu_core.plugin_names`)."""
        from .. import plugin_names
        from ..credit import terms_settings
        from ..entrypoints import advertised

        config = self.store.config
        host = self.store.plugins
        show = {"credit": terms_settings(config), "attitude": config.attitude.model_dump(mode="json")}
        kept: dict[str, Any] = {"region": config.region, "show": show}
        unknown = plugin_names.note(config.plugins.enabled, config.plugins.disabled,
                                    advertised() if host.installed is None else host.installed, host.config_line)
        if unknown:
            kept["plugin_names"] = unknown
        return kept

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

        # folders the user cannot enter (another user's, `chmod 000`): a row of their own, as a
        # full look keeps it (freshness.scan_tree), where every command of a big store said
        # "Permission denied" and nothing else
        unlisted: set[str] = set()
        base = root + "customers"
        with contextlib.suppress(FileNotFoundError):
            look("customers", os.stat(base).st_mtime_ns)
            with os.scandir(base) as entries:
                shards = [e.name for e in entries if not e.name.startswith(".") and walked(e)]
            for shard in shards:
                prefix = "customers/" + shard
                try:
                    fd = os.open(base + os.sep + shard, os.O_RDONLY | os.O_DIRECTORY)
                except (FileNotFoundError, NotADirectoryError):  # deleted while we look
                    continue
                except OSError:
                    unlisted.add(prefix)
                    continue
                try:  # stat relative to the shard's descriptor: no path walk per folder
                    look(prefix, os.fstat(fd).st_mtime_ns)
                    for name in os.listdir(fd):
                        if name.startswith(".") or not text_name(name):  # (the shard's listing names it)
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
                        except OSError:  # a customer's folder that cannot be entered
                            unlisted.add(f"{prefix}/{name}")
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
            try:
                with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:  # gone: all removed
                    for entry in entries:
                        row = entry_row(entry, len(root))
                        if row is not None:
                            listed[row[0]] = row[1]
            except OSError:
                unlisted.add(rel_dir)
                continue
            # and its own row, if it could not be listed before: listed now, that row goes
            known = {**self._file_stats("path=?", (rel_dir,)), **self._files_in(rel_dir)}
            on_disk.update(listed)
            new_or_changed, gone_files = _differences(listed, known)
            changed += new_or_changed
            removed += gone_files
        for folder in gone:
            removed += self._files_in(folder)
        for folder in unlisted:  # its row, and nothing the index knew below it
            on_disk[folder] = (0, -1)
            if self._file_stats("path=?", (folder,)).get(folder) != (0, -1):
                changed.append(folder)
            removed += [p for p in self._known_files(folder) if p not in removed]
            gone |= set(self._known_dirs(folder))
            moved = {d: m for d, m in moved.items() if d != folder and not d.startswith(folder + "/")}
        if unlisted:
            below = tuple(u + "/" for u in unlisted)
            changed = [p for p in changed if not p.startswith(below)]
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
            if parts[0] != "customers" or len(parts) < 2:
                continue  # not a record
            hidden = next((n for n, p in enumerate(parts) if p.startswith(".")), None)
            if hidden is not None:  # its folder lists it: a hidden link or FIFO has a row, a file none
                targets.add("/".join(parts[:hidden]))
                continue
            odd = next((n for n, p in enumerate(parts) if not text_name(p)), None)
            if odd is not None:  # a name that is not text: its folder lists it (freshness.entry_row)
                targets.add("/".join(parts[:odd]))
                continue
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
            if st is not None and stat_module.S_ISDIR(st.st_mode) and not record_like(name):
                files, seen = scan_tree(len(root) + 1, path)
                known = {**self._file_stats("path=?", (rel,)), **self._known_files(rel)}  # (full_refresh)
                moved, gone = folder_differences(seen, self._known_dirs(rel))
                folders.update(moved)
                gone_folders |= gone
            else:
                files = {rel: stamp(st)} if st and indexed_mode(name, st.st_mode, rel) else {}
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
        self.follow_file()  # indexed where every other process reads
        changed, removed, stats = [], [], {}
        written: dict[str, Any] = {}
        records_dir = self.store.root / CUSTOMERS_DIR
        for path in paths:
            if records_dir not in path.parents:
                # the index holds what lies under customers/: a visit plan or kehu.yaml a change
                # wrote (a merge, its undo) was taken for an "unexpected file" among the records
                continue
            rel = self.store.rel(path)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                removed.append(rel)
                continue
            stats[rel] = stamp(st)
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
