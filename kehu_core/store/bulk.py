"""Many new customers at once, their files made beforehand (a big import).

:meth:`BulkMixin.add_rendered_customers` is :meth:`CustomersMixin.add_customer` of many customers
whose file text and index rows were made beforehand (by an import's worker processes: see
``kehu_core.services.importing.prepare``), in one batch under the store's lock. Each customer is
checked in order as ``add_customer`` checks it (the id free, no case twin, the plugins' rules),
the change journal and any open ``undo_on_error`` block note each file before it is written;
then the files are written, each atomically (a temp file renamed: old or new, never half), by a
few threads, so the file system's work on them (a folder, a file and a rename each: most of a
new file's cost) runs on every core; then the index gets their rows in the batch's one update.
A file the workers already wrote to a staging folder (``yamlio.write_staged``) is only renamed
into place (``yamlio.place_staged``): still atomic, and most of the file system's work was done
on the workers' cores before the lock was taken.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import KehuError, Problem
from ..i18n import _
from ..ids import case_twin_message
from ..yamlio import place_staged
from .batch import journaled
from .layout import atomic_write, check_size

if TYPE_CHECKING:
    from ..index.rows import Parsed
    from ..models import Customer

# Threads writing files: each spends most of its time in the kernel (the GIL released), so a
# few keep two cores busy; more only queue on the same folders.
WRITERS = 4


class BulkMixin:
    """A part of :class:`kehu_core.store.Store` (see the module docstring)."""

    @journaled
    def add_rendered_customers(
        self, items: Iterable[tuple[Customer, str, Parsed | None, Path | None]],
    ) -> list[Customer | KehuError]:
        """Write new profiles: each item a customer of this store's model, validated in its
        region, with no confidential field and nothing sealed; the text
        :func:`kehu_core.store.profile_text.new_profile_text` makes of it; and its index rows by
        :func:`kehu_core.index.rows.parse_written` (or None); and a file holding that text, written by
        :func:`kehu_core.yamlio.write_staged` on the store's file system (or None). Returns, in order, each customer
        as stored, or the error that refused it (its id taken, a case twin, a plugin's rule),
        as :meth:`add_customer` would have raised it. An error writing a file (a full disk) is
        raised once every other file is written and indexed."""
        if self.config.confidential.fields:
            raise ValueError("add_rendered_customers: a store with confidential fields seals values")
        out: list[Customer | KehuError] = []
        writes: list[tuple[Path, str, Customer, Parsed | None, Path | None]] = []
        with self.batch():  # one lock, one index update; a referrer may come later in it
            shards: dict[Path, _Shard] = {}  # each shard folder listed and checked once
            planned: set[Path] = set()
            planned_ids: dict[str, str] = {}  # each new id by its casefold
            try:
                for customer, text, rows, staged in items:
                    if type(customer) is not self.customer_model or customer.sealed:
                        raise ValueError("add_rendered_customers: a customer of this store's model, nothing sealed")
                    path = self.customer_file(customer.id)
                    folder = path.parent
                    shard = _shard(shards, self, folder.parent)
                    # a folder its shard does not hold (and no link on the way to the shard):
                    # no file there yet, and no link below the shard to follow
                    fresh = folder.name not in shard.names and shard.link is None
                    try:
                        if path in planned or (not fresh and path.exists()):
                            raise KehuError(_("customer {id} already exists ({rel})").format(
                                id=repr(customer.id), rel=self.rel(path)))
                        self.refuse_case_twin(folder, shard.folded.get(folder.name.casefold(), ()))
                        twin = planned_ids.get(customer.id.casefold())  # the index has not this batch's
                        if twin is not None and twin != customer.id:
                            raise KehuError(case_twin_message(customer.id, twin, self.rel(self.customer_file(twin))))
                        customer, kept = self.door_write(path, customer, text)
                        if kept != text:  # a plugin's field kept otherwise than typed: the
                            text, rows, staged = kept, None, None  # text as made here, indexed so
                    except KehuError as exc:
                        out.append(exc)
                        continue
                    shard.add(folder.name)
                    planned.add(path)
                    planned_ids.setdefault(customer.id.casefold(), customer.id)
                    self._before_write(path, new=fresh)
                    writes.append((path, text, customer, rows, staged))  # nothing sealed: stored as it is
                    out.append(customer)
            finally:  # what was checked is written, even if a later check failed unexpectedly
                failed = self._write_files([(path, text, staged) for path, text, _stored, _rows, staged in writes])
                for (path, text, stored, rows, _staged), error in zip(writes, failed, strict=True):
                    if error is None:
                        if self._recording is not None:
                            self._recording.wrote(path, text.encode("utf-8"))
                        self._touched(path, stored, rows)
            first = next((error for error in failed if error is not None), None)
            if first is not None:
                raise first
        return out

    def settle_batch(self) -> None:
        """What the open batch has written so far put in the index now, and let go of: the index
        rows and profiles it held to its end (an import of 100 000 customers, 7 KB each), and
        the index's pages of them. Its ledgers are still written, and the plugins told of its
        sales, at its end."""
        batch = self._batch
        if batch is None or not batch.paths:
            return
        idx = self._index_for_writes()
        if idx is not None:
            idx.refresh_paths(list(batch.paths), batch.paths, batch.rows)
            idx.let_go()
        batch.paths.clear()
        batch.rows.clear()
        if self._batch_customers is not None:  # (read again when the plugins are told)
            self._batch_customers.clear()

    def _write_files(self, files: list[tuple[Path, str, Path | None]]) -> list[BaseException | None]:
        """Write each file atomically (the staged ones renamed into place), several at a time;
        what went wrong with each, if anything."""
        def write(path: Path, text: str, staged: Path | None) -> BaseException | None:
            try:
                if staged is not None:
                    check_size(path, text)
                    try:
                        place_staged(path, staged)
                        return None
                    except OSError:  # another file system (EXDEV): written as any other
                        pass
                atomic_write(path, text)
            except Exception as exc:  # noqa: BLE001 - handed back: the others are written first
                return exc
            return None

        def write_all(part: list[tuple[Path, str, Path | None]]) -> list[BaseException | None]:
            return [write(*item) for item in part]

        if len(files) < 2 * WRITERS:
            return write_all(files)
        from concurrent.futures import ThreadPoolExecutor  # only a bulk write uses threads

        # a few files per task (a future per file cost the one process ~0.1 ms each), each
        # task in this thread's context: a batch's deferred fsync (yamlio.deferred_sync)
        size = max(1, len(files) // (4 * WRITERS))
        with ThreadPoolExecutor(WRITERS, thread_name_prefix="kehu-write") as pool:
            futures = [pool.submit(contextvars.copy_context().run, write_all, files[i:i + size])
                       for i in range(0, len(files), size)]
            return [error for future in futures for error in future.result()]


@dataclass
class _Shard:
    """A shard folder (``customers/ab``) as a batch of new customers finds it, under the lock."""

    link: Problem | None  # a link on the way to it (LayoutMixin.link_problem), if any
    names: set[str] = field(default_factory=set)  # the folders in it, and those planned
    folded: dict[str, list[str]] = field(default_factory=dict)  # casefolded name -> those names

    def add(self, name: str) -> None:
        self.names.add(name)
        self.folded.setdefault(name.casefold(), []).append(name)


def _shard(shards: dict[Path, _Shard], store: BulkMixin, folder: Path) -> _Shard:
    if folder not in shards:
        shard = shards[folder] = _Shard(store.link_problem(folder))  # type: ignore[attr-defined]
        if shard.link is None:  # (one that is a link is not listed: each write refuses it)
            try:
                for name in os.listdir(folder):
                    shard.add(name)
            except (FileNotFoundError, NotADirectoryError):
                pass
    return shards[folder]
