"""The store's write lock: re-entrant in a thread, refused at once to a command run from inside
one that holds it and to a plugin's hook that only reads; taking it first records a command that
was killed half-way and puts back a killed ``kehu sync``."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING

from .. import journal, journal_ahead
from ..errors import KehuError
from ..i18n import _
from ..journal import Recorder, record

if TYPE_CHECKING:
    from filelock import FileLock


#: the lock files this process holds, each with the thread holding it. Another Store object of
#: the same store asking for the lock in that very thread would wait for itself until its
#: timeout (a plugin's hook running a kehu command in-process: 30 s, then "another kehu process
#: is writing"): it is refused at once instead. Other threads wait, as for another process.
_HELD: dict[str, int] = {}

#: the threads in which a plugin's hook that only reads runs (:meth:`Store.only_reading`), each with
#: the plugin and the hook: no Store object of this process writes from them — the one the hook was
#: given, nor another it opened on the same folder (``Store.open(store.root)``: a ``customer_values``
#: writing through one changed a profile on every `customer show`, and a ``validate_customer`` wrote
#: a ledger on every `kehu check`, each exit 0, for `kehu sync` to share)
_READING: dict[int, tuple[str, str]] = {}


class LockingMixin:
    """A part of :class:`kehu_core.store.Store`: its write lock, and the blocks in which no write is
    taken (a plugin's hook that only reads)."""

    def holds_lock(self) -> bool:
        """Whether this thread holds the store's lock (what it read since cannot have changed)."""
        return self._lock_owner == threading.get_ident()

    @contextlib.contextmanager
    def only_reading(self, plugin: str, hook: str) -> Iterator[None]:
        """A block (a plugin's hook that only reads: a rule of ``kehu check``, the values of a
        list) in which this thread may not write to the store, nor to another Store object the
        hook opened itself (:data:`_READING`): every write takes the lock, and asking for it
        here is refused, naming the plugin and the hook. A validation rule
        that wrote a ledger line wrote it on every `kehu check` (and `kehu sync`, which checks)."""
        me = threading.get_ident()
        before = _READING.get(me)
        _READING[me] = (plugin, hook)
        try:
            yield
        finally:
            if before is None:
                del _READING[me]
            else:
                _READING[me] = before

    @contextlib.contextmanager
    def writing_anyway(self) -> Iterator[None]:
        """A write of kehu's own inside an :meth:`only_reading` block (undoing what a failed
        plugin wrote)."""
        reading = _READING.pop(threading.get_ident(), None)
        try:
            yield
        finally:
            if reading is not None:
                _READING[threading.get_ident()] = reading

    @contextlib.contextmanager
    def lock(self, timeout: float = 30.0) -> Iterator[None]:
        """The store-wide write lock; re-entrant within a process."""
        reading = _READING.get(threading.get_ident())
        if reading is not None:
            raise KehuError(_("plugin {plugin} wrote to the store in {hook}, a hook that only reads (kehu check, "
                              "lists and reports call it); nothing was written").format(
                plugin=repr(reading[0]), hook=reading[1]))
        if self._lock_owner == threading.get_ident():
            # Already ours (a batch writes thousands of records under one lock): asking the
            # file lock again costs more than writing a small record.
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        from filelock import Timeout

        lock = self._lock
        if _HELD.get(lock.lock_file) == threading.get_ident():
            raise KehuError(_("{root}: this kehu command is already writing to the store, so a command run from "
                              "inside it (by a plugin) cannot write; nothing was written").format(root=self.root))
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise KehuError(
                _("{root}: another kehu process is writing (lock {lock_file}); try again").format(
                    root=self.root, lock_file=lock.lock_file)
            ) from None
        self._lock_owner, self._lock_depth = threading.get_ident(), 1
        _HELD[lock.lock_file] = self._lock_owner
        # A store opened with ``journal_as`` (the TUI) records each locked operation that is
        # not part of a change already open as one entry of the change journal (kehu undo)
        recorder = None
        try:
            journal.recover_interrupted(self)  # a command killed half-way: its entry, before any other
            self._put_back_killed_sync()
            if self.journal_as is not None and self._recording is None:
                recorder = self._recording = Recorder(self.journal_as, None,
                                                      ahead=journal_ahead.WriteAhead(self, self.journal_as))
            yield
        finally:
            try:
                if recorder is not None:
                    self._recording = None
                    try:
                        if recorder.before:
                            record(self, recorder)  # still under the lock
                    finally:
                        if recorder.ahead is not None:
                            recorder.ahead.close()
            finally:
                self._lock_depth -= 1
                self._lock_owner = None
                _HELD.pop(lock.lock_file, None)
                lock.release()

    def _put_back_killed_sync(self) -> None:
        """A ``kehu sync`` killed half-way (its marker there, the lock free: it is not running):
        the clone as it was before it, said on stderr (:mod:`kehu_core.sync_marker`)."""
        from .. import sync_marker

        if not sync_marker.left(self.state_dir):
            return
        try:
            said = sync_marker.recover(self.root, self.state_dir)
        except sync_marker.PutBackFailed as exc:
            if str(exc) != self._put_back_said:
                raise
            # said as the store opened (put_back_killed_sync): the write is refused, not said twice
            raise KehuError(_("nothing was written: this clone could not be put back after the interrupted "
                              "`kehu sync` (said above)")) from None
        if said is not None:
            import sys

            sys.stderr.write(said + "\n")
            if self._index is not None:
                self._index.refresh(full=True)

    def put_back_killed_sync(self) -> None:
        """For a command that only reads: a killed sync's clone put back first (see
        :meth:`_put_back_killed_sync`) if the store's lock is free now; else left to the next."""
        from .. import sync_marker
        from ..paths import state_dir

        # asked of every command that opens the store: a look, never a folder made for it
        if self.holds_lock() or not sync_marker.left(state_dir(self.root, create=False)):
            return
        try:
            with contextlib.suppress(OSError), self.lock(timeout=0):
                pass
        except sync_marker.PutBackFailed as exc:
            # a command that only reads goes on, over the clone as the sync left it: said, not hidden
            import sys

            self._put_back_said = str(exc)
            sys.stderr.write(f"kehu: {exc}\n")
        except KehuError:
            return  # the lock is taken (a write or a sync runs): the next command puts it back

    @cached_property
    def _lock(self) -> FileLock:
        from filelock import FileLock  # on the first write: a command that only reads never loads it

        return FileLock(str(self.state_dir / "lock"), is_singleton=False)
