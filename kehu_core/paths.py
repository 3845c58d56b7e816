"""Where a store keeps what it is found by (its settings file) and its derived data (the
index, the lock, the change journal).

A module of its own, importing nothing heavy: ``kehu search`` finds the store and its index
through it before it knows whether it needs the store at all.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

CONFIG_FILE = "kehu.yaml"  # a folder holding one is a store
STATE_DIR = ".kehu"
#: in the state folder while a ``kehu sync`` fetches and merges (:mod:`kehu_core.sync_marker`)
SYNC_MARKER = "sync-in-progress"
#: beside it: the id of the last git process that sync started (its mtime: when it started)
SYNC_GIT = "sync-git"
TEMPLATES_DIR = "templates"  # the store's message templates (kehu send), shared by kehu sync
TEMPLATE_SUFFIX = ".j2"  # a message template is templates/NAME.j2
PLANS_DIR = "visits"  # the reps' visit plans (kehu visits plan), shared by kehu sync
CUSTOMERS_DIR = "customers"  # each customer's folder: customers/<shard>/<id>/ (kehu_core.ids.shard)
INTERACTIONS_DIR = "interactions"  # a customer's records: customers/<shard>/<id>/interactions/


def every_shard() -> str:
    """Every shard folder as a glob (``customers/*``): the shard layout's one spelling for git's
    pathspecs and the index's SQL ``GLOB``, whose ``*`` alike matches any text (``/`` too: a path
    deeper down is told apart by ``every_shard() + "/*"``)."""
    return f"{CUSTOMERS_DIR}/*"


def in_every_customer(name: str) -> str:
    """``name`` in every customer's folder as a glob (``customers/*/*/points.ledger.yaml``)."""
    return f"{every_shard()}/*/{name}"


def state_dir(root: Path, *, create: bool = True) -> Path:
    """``.kehu/`` in the store, or a folder in the user's cache when the store is read-only.

    ``create=False`` only finds an existing one (a reader that must not write): the store's
    own ``.kehu/`` if it is there, else the cache folder's path."""
    local = root / STATE_DIR
    _refuse_links(local)
    if not create:
        return local if local.is_dir() else _fallback(root, create=False)
    try:
        local.mkdir(exist_ok=True)
        # a probe of its own: on one shared name, two processes opening the store at once
        # could delete each other's, and the loser took the fallback (a lock of its own)
        with tempfile.TemporaryFile(dir=local):
            pass
        return local
    except OSError:
        return _fallback(root, create=True)


INDEX_FILE = "index.sqlite"  # the index, in the state folder
#: the longest path SQLite opens (its unix VFS's MAX_PATHNAME is 512 bytes), with room for the
#: "-wal" and "-shm" files beside it
_SQLITE_MOST_BYTES = 500


def index_file(root: Path, state: Path, *, create: bool = True) -> Path:
    """The index's file: ``index.sqlite`` in the state folder ``state`` (:func:`state_dir`),
    or in the user's cache folder for the store when that path is longer than SQLite opens —
    a store three folders of 60 Chinese characters deep (550 bytes) ended every command in
    "internal error: OperationalError: unable to open database file". The index is derived
    data: where it is changes nothing else (the lock and the journal stay in ``state``)."""
    path = state / INDEX_FILE
    if len(os.fsencode(os.path.abspath(path))) <= _SQLITE_MOST_BYTES:
        return path
    return _fallback(root, create=create) / INDEX_FILE


def _refuse_links(local: Path) -> None:
    """``.kehu`` or what it holds (the index, the lock, the journal) as a symbolic link would make
    kehu write its index and journal outside the store, or undo into files it never wrote
    (git can bring such a link: ``.gitignore`` does not keep out a file added with
    ``git add -f``). Never followed: one ``lstat`` and one listing per command. Nor is one of
    them of another kind (a FIFO as the index, a file as the journal)."""
    from .errors import StoreError
    from .i18n import _

    def refuse(path: Path) -> None:
        raise StoreError(_("{path}: is a symbolic link (to {target}): kehu never follows links in a store; "
                           "remove it (kehu makes {folder}/ again)").format(
            path=path, target=os.readlink(path), folder=STATE_DIR))

    def refuse_kind(entry: os.DirEntry[str]) -> None:
        from .yamlio import special_kind

        mode = entry.stat(follow_symlinks=False).st_mode
        raise StoreError(_("{path}: is {what}, not what kehu keeps there; remove it (kehu makes {folder}/ "
                           "again)").format(path=entry.path, folder=STATE_DIR,
                                            what=special_kind(mode)))

    try:
        if stat.S_ISLNK(os.lstat(local).st_mode):
            refuse(local)
        with os.scandir(local) as entries:
            for entry in entries:
                if entry.is_symlink():
                    refuse(Path(entry.path))
                # a FIFO as the index: "internal error: disk I/O error" on every command; as the
                # journal, every write was made and then said "File exists", exit 1
                if (entry.name in _STATE_FILES and not entry.is_file(follow_symlinks=False)) or (
                        entry.name in _STATE_FOLDERS and not entry.is_dir(follow_symlinks=False)):
                    refuse_kind(entry)
    except (FileNotFoundError, NotADirectoryError):
        return


#: what ``.kehu/`` holds by name: the index (with SQLite's log and shared memory), the lock,
#: ``kehu send``'s lock (:data:`SEND_LOCK`), the undo journal and ``kehu serve``'s sync state
SEND_LOCK = "send.lock"
_STATE_FILES = frozenset({"index.sqlite", "index.sqlite-wal", "index.sqlite-shm", "lock", SEND_LOCK})
_STATE_FOLDERS = frozenset({"journal", "serve"})


def _fallback(root: Path, *, create: bool) -> Path:
    from platformdirs import user_cache_dir

    key = hashlib.sha1(path_bytes(root.resolve())).hexdigest()[:16]
    folder = Path(user_cache_dir("kehu")) / key
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def path_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes that name ``path``, for a key made of it (a cache's name): the one way kehu
    turns a path into bytes. The bytes the file system names it by (``os.fsencode``), not its
    text encoded: under ``LC_ALL=C`` with ``PYTHONUTF8=0`` Python reads 客户档案 as lone
    surrogates, which ``str.encode()`` refused ("internal error: UnicodeEncodeError") and
    ``surrogatepass`` made into bytes no file is named by, so one folder had one key under that
    locale and another under UTF-8 (a cache written twice). A text no byte of this locale's
    stands for (Chinese from a ``.pth`` file under ``LC_ALL=C``): its UTF-8, as
    :func:`typed_path` names such a file; a lone surrogate nothing gives: as ``surrogatepass``
    carries it, so a key is always made."""
    try:
        return os.fsencode(path)
    except UnicodeEncodeError:
        text = os.fspath(path)
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return text.encode("utf-8", "surrogatepass")


def empty_path_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a path a person typed (None: nothing): empty or spaces
    alone (`--store "$STORE"`, `--ics "$OUT"` with the variable unset), which a path reads as the
    current folder. The one rule of every path kehu is given (``cli.options.given_path``, an
    export's target from any door: ``export_targets.check_target``)."""
    if value.strip():
        return None
    from .i18n import _

    return _("{value}: an empty path names no folder or file (a variable left unset?)").format(value=repr(value))


def typed_path(value: str) -> str:
    """``value``, a path a person typed, as this process names files. Under a locale whose
    encoding is not UTF-8 (``LC_ALL=C`` with ``PYTHONUTF8=0``: a cron job's, a service's),
    Python names a file by its bytes past ASCII each read alone (surrogateescape), which the
    arguments, read back as the UTF-8 they are (``cli.argtext.utf8_arguments``), are not: a
    new file or folder named in Chinese (`kehu export … 客户.csv`, `kehu init 新店`) is given
    the UTF-8 bytes typed. The same rule of every path as :func:`empty_path_problem`."""
    try:
        os.fsencode(value)
    except UnicodeEncodeError:
        try:
            return os.fsdecode(value.encode("utf-8", "surrogateescape"))
        except UnicodeEncodeError:  # a lone surrogate no bytes give: said where it is used
            return value
    return value
