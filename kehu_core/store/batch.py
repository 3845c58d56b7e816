"""Many writes as one (a batch), the change journal, and noting what each write replaces (for
the journal and ``undo_on_error``, whose putting back is in ``undo_on_error``)."""

from __future__ import annotations

import contextlib
import functools
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .. import yamlio as _yamlio
from ..journal import Recorder, record
from ..journal_ahead import WriteAhead
from ..models import Customer, Interaction
from ..yamlio import (
    deferred_sync,
)
from .batch_state import OpenBatch
from .layout import (
    CUSTOMER_FILE,
    CUSTOMERS_DIR,
    atomic_write,
    remove_emptied_folders,
    remove_files,
)

if TYPE_CHECKING:
    from ..index import Index
    from ..index.rows import Parsed



T = TypeVar("T")
#: sales the plugins are told of at a time, what they write then written and let go of: an import
#: of 100 000 sales held every ledger it added to, and every buyer's profile, to the end
TELL_PART = 2000
#: in a batch's ``paths``: a record indexed from the rows the batch holds (:meth:`BatchMixin._touched`)
_INDEXED: Any = object()


def journaled(method: Callable[..., T]) -> Callable[..., T]:
    """A public write of the store: in a store with ``journal_as`` set (the TUI), one that is
    not part of an open change is one, with what plugins write in reply (points after a
    purchase), so ``kehu undo`` takes it back whole."""
    @functools.wraps(method)
    def write(self: Any, *args: Any, **kwargs: Any) -> T:
        if self.journal_as is None or self._recording is not None:
            return method(self, *args, **kwargs)
        with self.change(self.journal_as):
            return method(self, *args, **kwargs)
    return write


class BatchMixin:
    """A part of :class:`kehu_core.store.Store` (see the module docstring)."""

    # --- the change journal (kehu undo) ---------------------------------------------------

    @contextlib.contextmanager
    def change(self, command: str, who: str | None = None) -> Iterator[Recorder]:
        """Every write inside the block is one entry of the change journal (kehu_core.journal):
        ``command`` (what the person ran) by ``who`` (default: git's author name, else the
        login) at ``store.now()``. Nested blocks are part of the outer one. Nothing is recorded
        when no file changed."""
        if self._recording is not None:
            yield self._recording
            return
        recorder = self._recording = Recorder(command, who, ahead=WriteAhead(self, command))
        try:
            yield recorder
        finally:
            self._recording = None
            try:
                if recorder.before:
                    with self.lock():
                        try:
                            record(self, recorder)
                        except OSError as exc:
                            _not_journaled(exc)
            finally:
                if recorder.ahead is not None:
                    recorder.ahead.close()  # written as an entry, or nothing changed

    @property
    def recording(self) -> Recorder | None:
        """The open :meth:`change`, if any."""
        return self._recording

    def note_change(self, path: Path) -> None:
        """Say that ``path`` is about to be written or removed by code writing it itself (not
        through the store's methods), so the change journal keeps what it held."""
        if self._recording is not None:
            self._recording.note(path)

    def note_saved(self, path: Path) -> None:
        """Say that the interaction at ``path`` is about to be written and the plugins are to
        hear of it (``interaction_saved``), so a command killed before they did has them hear it
        when its change is recovered (:meth:`hear_again`): an import killed between its sales
        and their points left every sale without them, and run again it found them all there."""
        if self._recording is not None and self._recording.ahead is not None:
            self._recording.ahead.saved(path)

    def saved_by_plugins(self) -> frozenset[str]:
        """The plugins an interaction saved now in a batch is not to be told of: those telling
        of which it is saved (their ``interaction_saved`` runs), and those the interaction they
        are told of was kept from. Outside a batch such a plugin is not told (its hook is not
        asked again while it runs); a batch told it in its next round, and a plugin noting each
        interaction saved noted its own note, and so on: an import that never ended."""
        return self._told_apart | self.plugins.running("interaction_saved")

    def hear_again(self, recorder: Recorder, paths: list[Path]) -> int:
        """The plugins told of each interaction at ``paths`` still there, as a batch tells them
        (their reactions are idempotent), what they write part of ``recorder``'s change: the
        recovery of a command killed before they heard (call with the store's lock held). How
        many they were told of."""
        from ..errors import KehuError

        told = 0
        self._recording = recorder
        try:
            with self.batch():
                for path in dict.fromkeys(paths):
                    customer_id = path.parent.parent.name
                    try:
                        if path.parent != self.interactions_dir(customer_id) or not self.exists(customer_id):
                            continue  # gone since (merged away, undone): nobody to tell of it
                        interaction = self.read_interaction_file(path)
                    except (KehuError, OSError):
                        continue
                    assert self._batch is not None
                    self._batch.saved.append((customer_id, interaction, frozenset()))
                    told += 1
        finally:
            self._recording = None
        return told

    def restore_files(self, files: dict[Path, bytes | None]) -> None:
        """Put each file back to the given bytes (None: remove it, and its folders left
        empty), as one change noted in the journal, and reindex them."""
        with self.lock():
            # nor a path out of the store (a journal's ../../x), each asked before any file is
            # changed; a folder's way down once, not once for each of its files
            folders: dict[Path, None] = {}
            for path in files:
                if path.parent not in folders:
                    self.refuse_links(path.parent)
                    folders[path.parent] = None
                if path.name in ("", ".", "..") or path.is_symlink():
                    self.refuse_links(path)
            gone = [path for path, content in files.items() if content is None]
            for path in gone:  # every before-image kept (and written ahead) before a file goes
                self.note_change(path)
            remove_files(gone)
            for path, content in files.items():
                if content is not None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    self._write(path, content.decode("utf-8"))
                if path.name == CUSTOMER_FILE and self._batch_customers is not None:
                    self._batch_customers.pop(path.parent.name, None)
            emptied = {path.parent for path in gone}
            # the folders left empty once, after every file (one try of each folder, not one of
            # its parents for every file), and the index told of all files in one transaction:
            # the undo of a 5 000-customer import spent most of its time in the two
            remove_emptied_folders(emptied, self.root / CUSTOMERS_DIR)
            self._touched_all(list(files))

    def _touched_all(self, paths: list[Path]) -> None:
        """:meth:`_touched` of many files read back, in one refresh of the index."""
        if self._batch is not None:
            for path in paths:
                self._touched(path)
            return
        idx = self._index_for_writes()
        if idx is not None:
            idx.refresh_paths(paths)

    def _write(self, path: Path, text: str) -> None:
        """Write one record file atomically, noting first what it held (for undo_on_error
        and the change journal). Never through a link (:meth:`refuse_links`)."""
        self._before_write(path)
        atomic_write(path, text)

    def _write_indexed(self, path: Path, text: str, record: Customer | Interaction | None = None) -> None:
        """:meth:`_write`, then :meth:`_touched`, as one: when the index cannot take the write
        (a disk full to the byte: the record fits, the index's pages do not), the file is put
        back as it was and the error goes on. The record stood while the command failed ("No
        space left on device", exit 1): a sale without its points, which the user, told it had
        failed, recorded again. Put back through a second name of the file as it was (a hard
        link beside it: no space needed), or its bytes where the file system has no links."""
        if self._batch is not None:  # a batch writes its index once, at its end (undo_on_error)
            self._write(path, text)
            self._touched(path, record)
            return
        aside = _kept_aside(path)
        try:
            self._write(path, text)
            self._touched(path, record)
        except BaseException:
            _put_back(path, aside, self.root / CUSTOMERS_DIR)
            raise
        if isinstance(aside, Path):
            with contextlib.suppress(OSError):
                aside.unlink()

    def _before_write(self, path: Path, *, new: bool = False) -> None:
        """What :meth:`_write` does before it writes ``path`` (also for files written later,
        several at a time: kehu_core.store.bulk). ``new``: the caller knows, under the lock,
        that ``path``'s folder does not exist and that no link leads to its parent (a new
        customer's folder in a shard it listed): nothing there to read, no link to refuse."""
        if not new:
            self.refuse_links(path)
        if self._recording is not None:
            self._recording.note(path, absent=new)
        for log in self._noting():
            if path not in log.files:
                try:
                    log.files[path] = None if new else _yamlio.read_bytes(path)
                except FileNotFoundError:
                    log.files[path] = None

    # --- bookkeeping --------------------------------------------------------------------

    def _touched(self, path: Path, record: Customer | Interaction | None = None,
                 rows: Parsed | None = None) -> None:
        """Keep an already-open index in step with our own writes. ``record`` is what was
        just written, validated, so the index need not read the file back; ``rows``, in a
        batch, its index rows made beforehand (by an import's workers) from that record."""
        if self._batch is not None:
            self._batch.paths.pop(path, None)
            self._batch.rows.pop(path, None)
            if isinstance(record, Customer):
                self._batch.folded_ids.setdefault(record.id.casefold(), record.id)
            if rows is not None and record is not None:
                self._batch.rows[path] = rows
                record = _INDEXED  # its rows are all the index is given (an import's 7 KB a customer)
            self._batch.paths[path] = record
            if isinstance(record, Customer) and self._batch_customers is not None:
                self._batch_customers[record.id] = record
            return
        idx = self._index_for_writes()
        if idx is not None:  # one file: read it back, exactly as any other process would
            idx.refresh_paths([path])

    def _index_for_writes(self) -> Index | None:
        """The index our own writes go into: the open one, else the store's existing index
        opened without its blind check. Kehu's own writes are then known to the index at once
        (the TUI, which trusts a filled index and lets its watcher catch up, sees them), and a
        command that never reads the index pays one open, not a scan. A missing or empty
        index is left alone: its first reader builds it from the files."""
        if self._index is not None:
            return self._index
        if self._write_index is None:
            from ..index import Index
            from ..paths import index_file

            if not index_file(self.root, self.state_dir, create=False).is_file():
                return None
            idx = Index(self)
            if idx.count(up_to=1) == 0:
                idx.close()
                return None
            self._write_index = idx
        return self._write_index

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Many writes as one: one lock, one flush to disk, one index update, and the plugins
        told about new interactions once all of them are written and indexed (an import of
        10 000 rows would otherwise re-rank every customer after each purchase).

        Each file is still written atomically; see :func:`yamlio.deferred_sync` for what a
        power cut during a batch can lose.
        """
        if self._batch is not None:
            yield
            return
        with self.lock(), deferred_sync():
            self._batch_customers = {}
            try:
                batch = self._start_batch()
                try:
                    yield
                finally:
                    self._end_batch(batch)
                # Plugins hear about new interactions once everything is indexed; what they write
                # (points, tier moves) is batched the same way, so the index changes once more.
                customers = self._batch_customers
                while batch.saved:
                    saved, batch = batch.saved, self._start_batch()
                    try:
                        for told, (customer_id, interaction, deaf) in enumerate(saved.drain(), 1):
                            # each profile read once (or not at all: the batch just wrote it)
                            customer = customers.get(customer_id)
                            if customer is None:
                                customer = customers[customer_id] = self.get(customer_id)
                            self._told_apart = deaf
                            self.plugins.interaction_saved(self, customer.model_copy(), interaction, leave_out=deaf)
                            if told % TELL_PART == 0:  # what they wrote so far: written, let go of
                                batch = self._next_part(batch, customers)
                    finally:
                        self._told_apart = frozenset()
                        self._end_batch(batch)
            finally:
                self._batch_customers = None

    def _next_part(self, batch: OpenBatch, customers: dict[str, Customer]) -> OpenBatch:
        """``batch`` (what plugins wrote as they heard of a part of the sales) ended — its ledgers
        written, indexed, let go of, with the profiles read for it —, and the next part's begun,
        with the sales they saved to be told of next."""
        carried = batch.saved
        self._end_batch(batch)
        customers.clear()
        if (idx := self._index_for_writes()) is not None:
            idx.let_go()
        batch = self._start_batch()
        batch.saved = carried
        return batch

    def _start_batch(self) -> OpenBatch:
        self._batch = OpenBatch()
        return self._batch

    def _end_batch(self, batch: OpenBatch) -> None:
        self._batch = None
        try:
            for path, pending in batch.ledgers.items():
                self._write(path, pending.text)
                batch.paths[path] = None
        finally:  # what was written is indexed, even if a ledger could not be
            idx = self._index_for_writes()
            if idx is not None and batch.paths:
                idx.refresh_paths(list(batch.paths), batch.paths, batch.rows)

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        from ..gitrun import run

        return run(self.root, *args, check=check)


def _kept_aside(path: Path) -> Path | bytes | None | bool:
    """What ``path`` holds before a write, to put back (:meth:`BatchMixin._write_indexed`): a hard
    link to it beside it (a hidden ``.tmp`` name, which git and kehu pass over; a link is linked
    as a link, never what it points to), its bytes where no link can be made, None when there
    is no file, False when it cannot be kept (the write refuses such a file anyway)."""
    import os
    import secrets

    aside = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        os.link(path, aside, follow_symlinks=False)
        return aside
    except FileNotFoundError:
        return None
    except (OSError, NotImplementedError):  # no hard links here (a FAT stick, some network shares)
        try:
            return _yamlio.read_bytes(path)
        except Exception:  # noqa: BLE001 - a link, a FIFO: refused by the write itself
            return False


def _put_back(path: Path, aside: Path | bytes | None | bool, customers: Path) -> None:
    """Put ``path`` back as :func:`_kept_aside` kept it; best effort (the error that made it
    necessary is the one said)."""
    import os

    with contextlib.suppress(OSError):
        if aside is False:
            return
        if aside is None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # (frees the space a full disk lacked)
            remove_emptied_folders({path.parent}, customers)
        elif isinstance(aside, Path):
            os.replace(aside, path)
            aside.unlink(missing_ok=True)  # (a rename onto the same file, not yet replaced, does nothing)
        elif isinstance(aside, bytes):
            atomic_write(path, aside.decode("utf-8", "surrogateescape"))


def _not_journaled(exc: OSError) -> None:
    """The change is made, and its undo journal's entry could not be written (the journal's
    folder another user's, a disk full to the byte its before-images need): said, not a
    failure. It ended the command in the OS error, exit 1, after "updated" or a new sale's id
    was printed, the change standing: a script tried again and recorded the sale twice."""
    import sys

    from ..errors import os_error_text, shown_path
    from ..i18n import _

    where = f"{shown_path(exc.filename)}: " if exc.filename else ""
    sys.stderr.write(_("kehu: warning: the change is made, but the undo journal could not keep it ({where}{why}): "
                       "`kehu undo` cannot take it back\n").format(where=where, why=os_error_text(exc)))
