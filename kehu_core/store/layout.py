"""Where a store keeps what: the folders and file names, and atomic writes of records."""

from __future__ import annotations

import functools
import os
import stat
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .. import yamlio as _yamlio
from ..errors import Problem, RecordError, os_error_text
from ..i18n import _
from ..ids import check_id, new_id, shard
from ..models import Customer
from ..paths import state_dir
from ..yamlio import (
    LEDGER_SUFFIX,
    max_bytes,
)

if TYPE_CHECKING:
    pass

CUSTOMERS_DIR = "customers"
CUSTOMER_FILE = "customer.yaml"
INTERACTIONS_DIR = "interactions"

# `.*.tmp`: a write killed between temp file and rename leaves one; never commit it
GITIGNORE = ".kehu/\n.*.tmp\n"
GITATTRIBUTES = (
    "# kehu: ledgers are append-only, one entry per line: merge both sides' lines\n"
    f"*{LEDGER_SUFFIX} merge=union\n"
    "# kehu: profiles merge field by field (`kehu git-setup` installs the driver)\n"
    f"{CUSTOMER_FILE} merge=kehu\n"
    "# kehu: interactions too (two payments of one purchase made in two clones both stay)\n"
    f"{CUSTOMERS_DIR}/**/{INTERACTIONS_DIR}/*.yaml merge=kehu\n"
)

# Field order of a new customer file: identity first, then how to reach them, then the rest.
_FIELD_ORDER = list(Customer.model_fields)


def atomic_write(path: Path, text: str) -> None:
    """Write a record atomically, refusing one too big to be read back (a 10 MB note)."""
    check_size(path, text)
    _yamlio.atomic_write(path, text)


def check_size(path: Path, text: str) -> None:
    """Refuse a record too big to be read back (a 10 MB note), before it is written."""
    _check_size(path, len(text.encode("utf-8")))


def _check_size(path: Path, size: int) -> None:
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
            except OSError as exc:
                return Problem(current, 1, _("cannot read: {why}").format(why=os_error_text(exc)))
            if stat.S_ISLNK(mode):
                return Problem(current, 1, _yamlio.link_message(current))
        return None

    def refuse_links(self, path: Path) -> None:
        """Raise :class:`RecordError` if reading or writing ``path`` would follow a link."""
        problem = self.link_problem(path)
        if problem is not None:
            raise RecordError([problem])

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    @cached_property
    def state_dir(self) -> Path:
        """Where derived data lives: ``.kehu/`` in the store, or a cache folder if read-only."""
        return state_dir(self.root)


def remove_empty_folders(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``stop`` while they are empty."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
