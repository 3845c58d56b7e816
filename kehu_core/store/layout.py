"""Where a store keeps what: the folders and file names, and atomic writes of records."""

from __future__ import annotations

import contextlib
import functools
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .. import yamlio as _yamlio
from ..errors import Problem, RecordError, os_error_text
from ..i18n import _
from ..ids import check_id, new_id, shard
from ..models import Customer
from ..paths import CUSTOMERS_DIR, INTERACTIONS_DIR, PLANS_DIR, state_dir  # (the index spells the layout by them too)
from ..smallfiles import special_kind
from ..yamlio import (
    LEDGER_SUFFIX,
    max_bytes,
    too_many_lines,
)

if TYPE_CHECKING:
    pass

CUSTOMER_FILE = "customer.yaml"

# `.*.tmp`: a write killed between temp file and rename leaves one; never commit it
GITIGNORE = ".kehu/\n.*.tmp\n"
GITATTRIBUTES = (
    "# kehu: ledgers are append-only, one entry per line: merge both sides' lines\n"
    f"*{LEDGER_SUFFIX} merge=union\n"
    "# kehu: profiles merge field by field (`kehu git-setup` installs the driver)\n"
    f"{CUSTOMER_FILE} merge=kehu\n"
    "# kehu: interactions too (two payments of one purchase made in two clones both stay)\n"
    f"{CUSTOMERS_DIR}/**/{INTERACTIONS_DIR}/*.yaml merge=kehu\n"
    # the reps' visit plans too: the lists of two clones' changes to one day are joined (their
    # lines collided, or git's line merge put one clone's addition under the other's `remove:`).
    # Last and without a comment of its own: `kehu git-setup` adds it so to an older store's file
    f"{PLANS_DIR}/*/*.yaml merge=kehu\n"
)

# Field order of a new customer file: identity first, then how to reach them, then the rest.
FIELD_ORDER = list(Customer.model_fields)


def atomic_write(path: Path, text: str) -> None:
    """Write a record atomically, refusing one too big to be read back (a 10 MB note)."""
    check_size(path, text)
    _yamlio.atomic_write(path, text)


def check_size(path: Path, text: str) -> None:
    """Refuse a record too big to be read back (a 10 MB note, a ledger of too many lines),
    before it is written."""
    data = text.encode("utf-8")
    check_byte_size(path, len(data))
    if (many := too_many_lines(path, data)) is not None:
        raise RecordError([many])


def check_byte_size(path: Path, size: int) -> None:
    """Refuse a record of ``size`` bytes that is over what a read of ``path`` takes (:func:`max_bytes`):
    :func:`check_size` for a whole text, a ledger's append for the size the file will have."""
    if size > (limit := max_bytes(path)):
        raise RecordError([Problem(path, 1, f"the record would be {size} bytes; records are at "
                                            f"most {limit} (a long text pasted by mistake?)")])


@functools.lru_cache(maxsize=4096)  # an import asks for each customer's folder ~10 times
def _customer_dir(root: Path, customer_id: str) -> Path:
    check_id(customer_id, "customer id")
    return root / CUSTOMERS_DIR / shard(customer_id) / customer_id


def interaction_id(date_text: str) -> str:
    """``2024-05-20-k3x9qa2m``: sorts by date, random below so two clones never collide."""
    return f"{date_text}-{new_id('')[7:]}"




class LayoutMixin:
    """A part of :class:`kehu_core.store.Store` (see the module docstring)."""

    # --- paths --------------------------------------------------------------------------

    def customer_dir(self, customer_id: str) -> Path:
        return _customer_dir(self.root, customer_id)

    def customer_file(self, customer_id: str) -> Path:
        return self.customer_dir(customer_id) / CUSTOMER_FILE

    def interactions_dir(self, customer_id: str) -> Path:
        return self.customer_dir(customer_id) / INTERACTIONS_DIR

    def ledger_file(self, customer_id: str, name: str) -> Path:
        check_id(name, "ledger name")
        return self.customer_dir(customer_id) / f"{name}{LEDGER_SUFFIX}"

    def link_problem(self, path: Path) -> Problem | None:
        """The first symbolic link on the way from the store's root down to ``path`` (itself
        included), as a problem; None when there is none. A link committed by another clone
        (a customer folder, ``customers/``, an ``interactions`` folder, a ledger pointing out of
        the store) would make kehu read or write files outside the store: it is never
        followed. One ``lstat`` per level (five at most)."""
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            return Problem(path, 1, f"is outside the store {self.root}")
        if ".." in parts:  # relative_to is lexical: root/../../etc/x is "inside" by it
            return Problem(path, 1, f"is outside the store {self.root}")
        current = self.root
        for part in parts:
            current = current / part
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                return None  # nothing further down exists (a new record): no link either
            except PermissionError:  # the folder above cannot be entered (its x bit): name it, as `check` does
                return Problem(current.parent, 1, _yamlio.permission_denied_message())
            except OSError as exc:
                return Problem(current, 1, _("cannot read: {why}").format(why=os_error_text(exc)))
            if stat.S_ISLNK(mode):
                return Problem(current, 1, _yamlio.link_message(current))
            if current != path and not stat.S_ISDIR(mode):
                # a file where a folder of records belongs (`interactions`, a customer's folder,
                # committed by a colleague): "cannot read: Not a directory" named the record
                # kehu meant to write, under a folder that is none
                return Problem(current, 1, _("is {what} where a folder of records belongs: no record under it is "
                                             "read or written; move it away").format(what=special_kind(mode)))
        return None

    def refuse_links(self, path: Path) -> None:
        """Raise :class:`RecordError` if reading or writing ``path`` would follow a link."""
        problem = self.link_problem(path)
        if problem is not None:
            raise RecordError([problem])

    def rel(self, path: Path) -> str:
        text = str(path)
        inside = self._root_text
        if text.startswith(inside):  # by its text: relative_to was a tenth of an undo of 20 000 files
            return text[len(inside):].replace(os.sep, "/")
        return path.relative_to(self.root).as_posix()

    @cached_property
    def _root_text(self) -> str:
        return os.path.join(str(self.root), "")  # with its separator: root2/ is not inside root/

    @cached_property
    def state_dir(self) -> Path:
        """Where derived data lives: ``.kehu/`` in the store, or a cache folder if read-only."""
        return state_dir(self.root)


T = TypeVar("T")

#: removals at once (:func:`_each`): a removal waits on the file system's journal, not the CPU
_REMOVING_AT_ONCE = 8


def _each(do: Callable[[Path], T], paths: Sequence[Path]) -> list[T]:
    """``do`` of every path, several at a time when there are many: an unlink or rmdir waits
    on the file system's journal (0.1 to 0.7 ms each on the build machine's ext4, mounted with
    ``discard``), and 20 000 of them one after the other were seconds of the undo of an import.
    The first error is raised (when all have been tried), as one loop would have raised it."""
    if len(paths) < 64:
        return [do(path) for path in paths]
    with ThreadPoolExecutor(max_workers=_REMOVING_AT_ONCE) as pool:
        return list(pool.map(do, paths))


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def remove_files(paths: Sequence[Path]) -> None:
    """Remove these files (one gone already is fine), several at a time (:func:`_each`)."""
    _each(_unlink, paths)


def _rmdir(folder: Path) -> bool:
    try:
        folder.rmdir()
    except OSError:  # not empty (or gone): its parents are not either
        return False
    return True


def remove_emptied_folders(folders: Iterable[Path], stop: Path) -> None:
    """:func:`remove_empty_folders` of many folders at once (the undo of an import removing 20 000
    files): each folder is tried once, the deepest first, a parent only once a child of it went;
    one call per file tried the shard folder again for every customer in it."""
    below = str(stop) + os.sep  # a folder below ``stop``, by its text (Path.parents is slow)
    levels: dict[int, set[Path]] = {}
    for folder in folders:
        if str(folder).startswith(below):
            levels.setdefault(len(folder.parts), set()).add(folder)
    depth = max(levels, default=0)
    while depth > len(stop.parts):
        tried = sorted(levels.get(depth, ()))
        for folder, gone in zip(tried, _each(_rmdir, tried), strict=True):
            if gone and len(folder.parts) - 1 > len(stop.parts):
                levels.setdefault(depth - 1, set()).add(folder.parent)
        depth -= 1


def remove_empty_folders(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``stop`` while they are empty."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
