"""When the index may answer without looking at the files again (docs/architecture.md,
"Freshness").

Looking costs: comparing every file of a 100 000-customer store takes seconds, and even the
quick look (one stat per folder) took 0.7 s before every command. So the index trusts itself
while nothing says otherwise, and knows in O(1) what could have changed behind its back:

* kehu's own writes update the index as they happen (any process, one SQLite file);
* git's own operations move HEAD: the index remembers the commit it last saw, and re-reads
  exactly the paths ``git diff OLD NEW`` names (the hooks ``kehu init`` and ``kehu git-setup``
  install do it at once; otherwise the next command does);
* ``kehu.yaml`` is stat-ed (its settings are remembered with its size and mtime);
* anything else (a hand edit in place, ``git stash``) is caught by the TUI's watcher, by
  ``kehu check`` and ``kehu reindex``, by ``kehu edit``, and by a look at every folder at most
  every ``RECHECK_EVERY`` seconds. Stores of up to ``SMALL_STORE_FILES`` files are compared
  file by file before every command: that costs milliseconds, and nothing is ever missed.

This module only reads (stat, a few small files): it is what ``kehu search`` pays before it
answers, so it imports nothing heavy.
"""

from __future__ import annotations

import functools
import json
import os
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ..clock import system_seconds
from ..paths import CONFIG_FILE, INTERACTIONS_DIR

SMALL_STORE_FILES = 5_000  # up to here every command compares every file (~20 ms)
RECHECK_EVERY = 300  # seconds: a bigger store's folders are looked at no more often than this


def indexed_entry(entry: os.DirEntry[str], rel: str = "") -> bool:
    """Whether a folder entry under customers/ gets a row in ``files``: a record file
    (``*.yaml``), and what kehu never reads but ``kehu check`` must name (parse_record turns it
    into a problem): a symbolic link, a FIFO, socket or device, a folder named like a record
    file (``customer.yaml/``), a YAML file under another spelling (:func:`record_like`), a file
    where a folder of records belongs (:func:`folder_place`, ``rel`` its path in the store).
    Plain folders are walked, other files (``notes.txt``) ignored."""
    if entry.is_dir(follow_symlinks=False):  # the kind the listing gave: no stat
        mode = stat.S_IFDIR
    else:  # a link, FIFO, socket or device: none of those
        mode = stat.S_IFREG if entry.is_file(follow_symlinks=False) else 0
    return indexed_mode(entry.name, mode, rel)


NOT_TEXT = -2
"""The mtime the index keeps for a file or folder under customers/ whose name is not UTF-8 text
(bytes git holds as a colleague committed them): it is never read nor walked into, and its row,
under the name as kehu prints it (``errors.shown_path``, which SQLite can hold where the name
itself ended every command in "internal error: UnicodeEncodeError"), is a problem of ``kehu check``."""


def text_name(name: str) -> bool:
    """Whether a name listed by the OS is UTF-8 text (``os.fsdecode`` turns other bytes into
    lone surrogates, which no record, no message and no SQLite text can hold)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def walked(entry: os.DirEntry[str]) -> bool:
    """Whether a listing goes into this entry: a folder (never through a link) with a name of text."""
    return entry.is_dir(follow_symlinks=False) and text_name(entry.name) and not entry.name.startswith(".")


def entry_row(entry: os.DirEntry[str], root_len: int) -> tuple[str, tuple[int, int]] | None:
    """The index's row of a folder entry under customers/ (its path relative to the store,
    its size and mtime), or None for what the index does not list (:func:`indexed_entry`)."""
    if not text_name(entry.name):
        if entry.name.startswith("."):
            return None
        from ..errors import shown_path

        return shown_path(entry.path[root_len:]), (0, NOT_TEXT)
    if entry.name.startswith("."):
        # a hidden regular file is no record and none of kehu's business (.gitkeep, a killed
        # write's temporary file); anything else hidden is named by `kehu check`, never walked: a
        # `.git` (a `git clone` made there), a link (`.passwd -> /etc/passwd`, which check called
        # ok and sync committed and pushed), a FIFO, a folder
        if entry.is_file(follow_symlinks=False):
            return None
    elif not indexed_entry(entry, entry.path[root_len:]):
        return None
    return entry.path[root_len:], stamp(entry.stat(follow_symlinks=False))


def stamp(st: os.stat_result) -> tuple[int, int]:
    """What the index keeps of a file to know it unchanged: its size and mtime, or
    :data:`UNREADABLE` for the mtime while its mode and owner keep this user from reading it.
    A ``chmod 000`` or a ``chown`` (a ``sudo`` tool's) moves neither size nor mtime: the index
    took the file for unchanged, and `kehu check` said ok while `customer set` and `purchase
    add` could not read the profile."""
    return st.st_size, st.st_mtime_ns if readable(st) else UNREADABLE


UNREADABLE = -3
"""The mtime the index keeps for a file its mode and owner keep this user from reading."""


def readable(st: os.stat_result) -> bool:
    """Whether the file's mode bits let this process read it (root reads everything; where
    there are no such users, Windows, every file is taken as readable)."""
    me = _me()
    if me is None or me[0] == 0:
        return True
    if st.st_uid == me[0]:
        return bool(st.st_mode & stat.S_IRUSR)
    if st.st_gid in me[1]:
        return bool(st.st_mode & stat.S_IRGRP)
    return bool(st.st_mode & stat.S_IROTH)


@functools.cache
def _me() -> tuple[int, frozenset[int]] | None:
    """This process's user and groups, asked once."""
    if not hasattr(os, "geteuid"):
        return None
    return os.geteuid(), frozenset((os.getegid(), *os.getgroups()))


def record_like(name: str) -> bool:
    """A name of a YAML file: a record's (``*.yaml``), or one kehu does not read as a record,
    spelt ``.yml`` or ``.YAML``, which ``kehu check`` names (a purchase saved by hand as
    ``interactions/visit.yml`` was in no figure while check said ok)."""
    return name.lower().endswith((".yaml", ".yml"))


def indexed_mode(name: str, mode: int, rel: str = "") -> bool:
    """:func:`indexed_entry` of a path known by its name, ``lstat`` mode and path in the store."""
    if name.startswith("."):
        return False
    if stat.S_ISDIR(mode):
        return record_like(name)
    return record_like(name) or not stat.S_ISREG(mode) or folder_place(rel)


def folder_place(rel: str) -> bool:
    """Whether ``rel`` (a path in the store) is where kehu keeps folders only: a shard folder
    (``customers/3f``), a customer's (``customers/3f/<id>``) or a customer's ``interactions``.
    A file there (a colleague's commit replacing a customer's folder, or a shard's, by a file)
    was ignored as a ``notes.txt`` is: the customers in it were gone while `kehu check` said ok;
    so were a customer's sales and visits with a file named ``interactions`` in their place."""
    parts = rel.split("/")
    return parts[0] == "customers" and (len(parts) in (2, 3) or (len(parts) == 4 and parts[3] == INTERACTIONS_DIR))


def scan_tree(root_len: int, top: str) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """Every record file below ``top`` with its :func:`stamp`, and every folder's mtime;
    paths relative to the store (``root_len`` characters of each absolute path cut off).
    Links are never followed (:func:`indexed_entry`)."""
    files: dict[str, tuple[int, int]] = {}
    folders: dict[str, int] = {}
    # a loop over a stack, not a recursion: a colleague's commit can nest folders under
    # customers/ 1 500 deep (git keeps any depth), which ended every command in RecursionError
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            entries = os.scandir(folder)
            folders[folder[root_len:]] = os.stat(folder).st_mtime_ns
        except FileNotFoundError:
            continue
        except OSError:  # unreadable: a row of its own, so that `kehu check` names it
            files[folder[root_len:]] = (0, -1)
            continue
        with entries:
            for entry in entries:
                row = entry_row(entry, root_len)
                if row is not None:
                    files[row[0]] = row[1]
                elif walked(entry) and not entry.name.startswith("."):
                    stack.append(entry.path)
    return files, folders


def differences(on_disk: Mapping[str, tuple[int, int]], known: Mapping[str, tuple[int, int]]
                ) -> tuple[list[str], list[str]]:
    """Files whose (size, mtime) the index does not have, and indexed files no longer there."""
    return [p for p, stat in on_disk.items() if known.get(p) != stat], [p for p in known if p not in on_disk]


# --- what git did ------------------------------------------------------------------------

def git_dir(root: Path) -> Path | None:
    """The git directory of the repository holding ``root`` (a store may be a sub-folder of
    one, or a worktree whose ``.git`` is a file naming its directory)."""
    for folder in (root, *root.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            text = _git_file(dot_git) or ""
            if text.startswith("gitdir:"):
                path = Path(text[7:].strip())
                return path if path.is_absolute() else (folder / path).resolve()
            return None
    return None


#: the files of a repository's folder every git command opens
_OPENED_BY_GIT = ("HEAD", "config", "index")


def git_would_wait(root: Path) -> tuple[Path, int] | None:
    """(path, mode) of the first file every git command opens in the repository holding ``root``
    (``.git/HEAD``, ``config``, ``index``) that is a FIFO, a socket or a device: git waited on a
    FIFO in the place of ``.git/HEAD`` for ever, and `kehu sync`, `customer add` and `customer
    set` with it, holding the store's lock. None when there is none."""
    folder = git_dir(root)
    for name in _OPENED_BY_GIT if folder is not None else ():
        path = folder / name  # type: ignore[operator]  # folder is not None here
        try:
            mode = os.stat(path).st_mode
        except OSError:  # not there (no commit, no index yet), or git says why itself
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            return path, mode
    return None


def git_head(root: Path) -> str | None:
    """The commit HEAD names, read from the repository's files (no ``git`` process: this runs
    before every command). None outside a repository or before the first commit."""
    gdir = git_dir(root)
    if gdir is None:
        return None
    head = _git_file(gdir / "HEAD")
    if head is None:
        return None
    if not head.startswith("ref:"):
        return head or None  # a detached HEAD names the commit itself
    ref = head[4:].strip()
    common = gdir
    commondir = _git_file(gdir / "commondir")  # a worktree keeps branches in the main repository
    if commondir:
        common = (gdir / commondir).resolve()
    for base in (gdir, common):
        named = _git_file(base / ref)
        if named is not None:
            return named or None
    for line in (_git_file(common / "packed-refs", PACKED_REFS_MOST) or "").splitlines():
        if line.endswith(" " + ref):
            return line.split(" ", 1)[0]
    return None


#: the most of git's small files (HEAD, a ref, ``.git`` naming a worktree's folder) kehu reads
GIT_FILE_MOST = 64 * 1024
#: the most of ``packed-refs`` (a line a branch or tag: 100 000 tags are some 7 MB)
PACKED_REFS_MOST = 64 * 2**20


def _git_file(path: Path, most: int = GIT_FILE_MOST) -> str | None:
    """The text of one of git's own files this reads before every command, stripped; None when
    it cannot be read or is no regular file of at most ``most`` bytes: a FIFO in the place of
    ``.git/HEAD`` hung every command, even ``customer list``, and a link to ``/dev/zero`` read
    until memory ran out (:func:`kehu_core.smallfiles.read_given_file`)."""
    from ..smallfiles import read_given_file

    try:
        return read_given_file(path, most).decode("utf-8", errors="replace").strip()
    except (OSError, ValueError):
        return None


def git_changed_paths(root: Path, old: str, new: str) -> list[str] | None:
    """Record files (:func:`record_like` under customers/, relative to the store) that differ between
    two commits; None when git cannot tell (a commit gone after a rewrite, no git)."""
    try:
        result = subprocess.run(
            ["git", "diff", "--name-only", "-z", "--no-renames", "--relative", old, new, "--", "customers"],
            cwd=root, capture_output=True, check=False)
    except OSError:
        return None
    if result.returncode != 0:
        return None
    paths = [os.fsdecode(p) for p in result.stdout.split(b"\0")]
    if not all(text_name(p) for p in paths):  # a name of bytes that are not text: the folders' look lists it
        return None
    return [p for p in paths if record_like(p)]


# --- the signature the index remembers ----------------------------------------------------

def config_stamp(root: Path) -> str:
    """``kehu.yaml``'s :func:`stamp`: its settings change when this does, and so does whether
    it can be read (left unreadable, `customer list` answered from the index with exit 0 while
    every other command said kehu.yaml could not be read)."""
    try:
        size, moved = stamp(os.stat(root / CONFIG_FILE))
    except OSError:
        return ""
    return f"{size}:{moved}"


def signature(root: Path) -> dict[str, str | None]:
    """What the index compares with the store before it answers without looking."""
    return {"head": git_head(root), "config": config_stamp(root)}


def dump(sig: Mapping[str, str | None]) -> str:
    return json.dumps(dict(sig), sort_keys=True)


def load(text: str | None) -> dict[str, str | None]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def trusted(seen: Mapping[str, str | None], looked_at: float, now: Mapping[str, str | None]) -> bool:
    """Whether the index may answer as it is: the store's signature is the one it saw when
    it last looked, and that look is recent enough (``RECHECK_EVERY``)."""
    return bool(seen) and dict(seen) == dict(now) and 0 <= system_seconds() - looked_at < RECHECK_EVERY
