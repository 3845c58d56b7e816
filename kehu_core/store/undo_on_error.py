"""Undoing a failed plugin's writes: a block (``Store.undo_on_error``) whose writes through the
store, and through any other Store object of its folder in its thread, are put back as they were
if it raises; the plugin host runs every plugin hook in one."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import yamlio as _yamlio
from ..errors import Meddled
from ..index.held import back as _index_back
from ..index.held import held as _index_held
from .layout import CUSTOMER_FILE, CUSTOMERS_DIR, remove_empty_folders

if TYPE_CHECKING:
    from .batch_state import OpenBatch


class UndoOnErrorMixin:
    """A part of :class:`kehu_core.store.Store` (see the module docstring)."""

    def undo_on_error(self) -> contextlib.AbstractContextManager[None]:
        """Writes made inside the block are undone if it raises: each record it wrote is put
        back as it was (one it created is removed), and in a batch the ledger lines and saved
        interactions it added are dropped. The plugin host runs every plugin hook in one, so a
        plugin that fails leaves nothing written on its behalf (see kehu_core/hookspecs.py).

        Only writes through the store are undone (a plugin writes nowhere else in the store)."""
        return _UndoOnError(self)

    def as_given(self) -> contextlib.AbstractContextManager[None]:
        """A block (a plugin's code: a hook, what it handed over) after which the store is as it
        was given: its folder, day, settings, plugins (and those registered with them) and
        identity put back where the block set them, and a method it shadowed on the object
        (``store.get = …``) its own again. A hook
        setting ``store.today`` or ``store.root`` made the rest of the command (an import's next
        rows, the next plugin's hook) work at another day or in another folder."""
        return _AsGiven(self)

    def _noting(self) -> list[WriteLog]:
        """The open ``undo_on_error`` blocks a write of this store is noted in: its own, and
        those this thread opened on another Store object of its folder (:data:`_OPEN_LOGS`)."""
        if len(_OPEN_LOGS) == len(self._write_logs):  # (all its own: the usual case)
            return self._write_logs
        me = threading.get_ident()
        return [*self._write_logs, *(log for root, thread, log in _OPEN_LOGS if root == self.root and thread == me
                                     and not any(log is mine for mine in self._write_logs))]

    def _before_pending(self, path: Path) -> None:
        """Note a batch's pending ledger as it is before a line is added (for undo_on_error)."""
        for log in self._write_logs:
            if log.batch is self._batch and self._batch is not None and path not in log.pending:
                pending = self._batch.ledgers.get(path)
                log.pending[path] = None if pending is None else (pending.size, len(pending.added))

    def _undo(self, log: WriteLog) -> None:
        # kehu's own putting back of what a failed plugin wrote, which may run inside another
        # plugin's hook that only reads (one asking the values of the others): not its write
        with self.writing_anyway(), self.lock():
            batch = log.batch if log.batch is self._batch else None
            if batch is not None:
                batch.saved.truncate(log.saved)
                for path, before in log.pending.items():
                    pending = batch.ledgers.get(path)
                    if before is None or pending is None:
                        batch.ledgers.pop(path, None)
                    else:
                        pending.size = before[0]
                        del pending.added[before[1]:], pending.lines[before[1]:]
                        pending.entries = pending.words = None
            # the files first (removing new ones frees the space a full disk lacked), then the
            # index: a failure to note them there (the disk still full) must not leave files behind
            for path, content in log.files.items():
                if self._recording is not None:  # put back as it was: read again for the journal
                    self._recording.after.pop(path, None)
                if content is None:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                    remove_empty_folders(path.parent, self.root / CUSTOMERS_DIR)
                else:
                    written_back(path, content)
                if path.name == CUSTOMER_FILE and self._batch_customers is not None:
                    self._batch_customers.pop(path.parent.name, None)
            from ..index import IndexFailure

            for path in log.files:
                with contextlib.suppress(OSError, IndexFailure):  # derived: read again next time
                    self._touched(path)


def written_back(path: Path, content: bytes) -> None:
    """``path`` holding ``content`` again: written atomically, or, when the disk is full (the
    reason a command is being taken back), over the file in place — a payment taken back is
    shorter than the file holding it, so no new space is needed. The atomic write's temporary
    copy found no room, and the payment stood while the command failed "No space left"."""
    import errno
    import os

    try:
        _yamlio.atomic_write(path, content.decode("utf-8"))
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        data = memoryview(content)
        while data:
            data = data[os.write(fd, data):]
        os.ftruncate(fd, len(content))
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(eq=False)  # told apart by identity: two may hold the same
class WriteLog:
    """What one ``undo_on_error`` block needs to put the store back."""

    batch: OpenBatch | None  # the batch open when the block began
    saved: int  # how many saved interactions that batch had
    files: dict[Path, bytes | None] = field(default_factory=dict)  # before the block; None: absent
    pending: dict[Path, tuple[int, int] | None] = field(default_factory=dict)  # (size, lines added)


#: every open ``undo_on_error`` block of the process, with the folder of the store it was opened
#: on and its thread: a write of that thread through another Store object of that folder (one a
#: plugin's exporter or sender opened itself, ``Store.open(store.root)``) is noted in it too, and
#: undone with it. Only what
#: went through the store the plugin was given was undone: `kehu export` said "nothing was
#: written" while the profile it changed and a ledger line of 100 000 points stayed.
_OPEN_LOGS: list[tuple[Path, int, WriteLog]] = []


class _UndoOnError(contextlib.AbstractContextManager[None]):
    """The block of ``Store.undo_on_error``, as a plain class: the reminder engine opens one
    for each customer and rule (100 000 for a book of 10 000 customers in ``kehu serve``), and
    a generator-based context manager cost three times as much to enter and leave."""

    __slots__ = ("store", "log")

    def __init__(self, store: Any) -> None:
        self.store = store

    def __enter__(self) -> None:
        batch = self.store._batch
        self.log = WriteLog(batch, len(batch.saved) if batch is not None else 0)
        self.store._write_logs.append(self.log)
        _OPEN_LOGS.append((self.store.root, threading.get_ident(), self.log))

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self.store._write_logs.remove(self.log)
        for i in range(len(_OPEN_LOGS) - 1, -1, -1):  # (the innermost: last)
            if _OPEN_LOGS[i][2] is self.log:
                del _OPEN_LOGS[i]
                break
        if kind is not None:  # raised (SystemExit, KeyboardInterrupt too): put back, raised on
            self.store._undo(self.log)


#: what a Store is as it is given to a plugin's code, put back by :class:`_AsGiven`
_GIVEN = ("root", "config", "today", "today_fixed", "plugins", "identity_file", "journal_as", "_config_doc")


class _AsGiven(contextlib.AbstractContextManager[None]):
    """The block of ``Store.as_given`` (a plain class, as :class:`_UndoOnError`: it is opened
    for every plugin hook of every customer)."""

    __slots__ = ("store", "given", "count", "registered", "indexes")

    def __init__(self, store: Any) -> None:
        self.store = store

    def __enter__(self) -> None:
        attrs = vars(self.store)
        self.given = tuple(attrs.get(name) for name in _GIVEN)
        self.count = len(attrs)
        host = attrs.get("plugins")  # the plugins registered with it (store.plugins.pm.unregister)
        self.registered = host.registrations() if host is not None else None
        self.indexes = _index_held(attrs)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        attrs = vars(self.store)
        # its index, closed or replaced (`store.index.close()`: every later hook failed, then
        # the import, "internal error"): open again as it was, and the plugin's failure, said
        did = _index_back(self.store, attrs, self.indexes)
        for name, value in zip(_GIVEN, self.given, strict=True):
            if attrs.get(name) is not value:
                attrs[name] = value
        if self.registered is not None:
            attrs["plugins"].registrations_back(self.registered)
        if len(attrs) != self.count:  # a name of the class set on the object: its method shadowed
            kind_of = type(self.store)  # (a cached_property's value, a cache's, are kehu's own: kept)
            for name in [n for n in attrs if callable(getattr(kind_of, n, None))]:
                del attrs[name]
        if did and (kind is None or issubclass(kind, Exception)):  # (said for what it did, not what it raised then)
            raise Meddled("; ".join(did))
