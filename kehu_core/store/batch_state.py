"""What an open batch of writes holds until it ends (:meth:`.batch.BatchMixin.batch`): the
records written and their index rows, the sales the plugins are to hear of, the ledgers added
to."""

from __future__ import annotations

import collections
import pickle
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..index.rows import Parsed
    from ..models import Customer, Interaction


@dataclass
class PendingLedger:
    """A ledger a batch adds to, written once when the batch ends (``Store.append_ledger``)."""

    head: str  # the file as read (or made: its first comment line)
    size: int  # the length in bytes of the file as it will be written
    end: str = "\n"  # the line end its lines keep (``yamlio.line_end`` of the file as read): asked once
    entries: list[dict[str, Any]] | None = None  # the entries on disk, read when first asked
    added: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the line of each entry added, its end included
    #: every text value of its entries (on disk and added), made when first asked: what
    #: ``ledger_has`` looks an id up in, as it looks in a file's text outside a batch
    words: set[str] | None = None


    @property
    def text(self) -> str:
        """The whole file as it will be written: joined once, when the batch ends (added to
        one string line by line, 50 000 lines copied the growing text 50 000 times)."""
        return self.head + "".join(self.lines)


#: one interaction saved in a batch: (customer id, the interaction, the plugins not to tell of it)
Saved = tuple[str, Any, frozenset[str]]


class SavedSales:
    """The interactions saved in a batch (:data:`Saved`), to tell the plugins of once the batch
    is written, in the order saved: each of kehu's own models saved by no plugin (an import's
    sales) kept pickled and compressed until it is told, some 300 bytes where the model took
    4 KB (a 100 000-row sheet's sales held 400 MB). Not a list: what it holds is that packed
    form, which only its own methods give back as the sale it was (an index or a loop over a
    list of them gave bytes)."""

    def __init__(self) -> None:
        self._held: collections.deque[Saved | bytes] = collections.deque()

    def append(self, item: Saved) -> None:
        if not item[2] and type(item[1]).__module__.startswith("kehu_core."):
            # (a plugin's own object, or one a plugin saved, is held as it is: pickling it would
            # run its code outside its guard)
            try:
                self._held.append(zlib.compress(pickle.dumps(item, pickle.HIGHEST_PROTOCOL), 1))
                return
            except Exception:  # noqa: BLE001 - a value that does not pickle: held as it is
                pass
        self._held.append(item)

    def __len__(self) -> int:
        return len(self._held)

    def truncate(self, length: int) -> None:
        """Forget those saved after the first ``length`` (``undo_on_error`` taking back a
        plugin's writes)."""
        while len(self._held) > length:
            self._held.pop()

    def drain(self) -> Iterator[Saved]:
        """Each one saved, in the order saved, let go of as it is given: an import's sales
        told one by one, none held after its plugins have heard of it."""
        while self._held:
            item = self._held.popleft()
            if isinstance(item, bytes):
                yield pickle.loads(zlib.decompress(item))  # noqa: S301 - pickled by this process itself
            else:
                yield item


@dataclass
class OpenBatch:
    """What one open batch holds (the store's ``_batch``), ended by ``BatchMixin._end_batch``."""

    paths: dict[Path, Customer | Interaction | None] = field(default_factory=dict)  # → record
    rows: dict[Path, Parsed] = field(default_factory=dict)  # → its index rows, when made beforehand
    #: each interaction saved, to tell the plugins of, with the plugins not to tell of it: those
    #: that saved it while told of another (:meth:`.batch.BatchMixin.saved_by_plugins`)
    saved: SavedSales = field(default_factory=SavedSales)
    ledgers: dict[Path, PendingLedger] = field(default_factory=dict)
    #: the customers written, each id by its casefold: the index has them once the batch ends
    #: (``Store.refuse_case_twin``: an import's rows `x-one` and `X-ONE`)
    folded_ids: dict[str, str] = field(default_factory=dict)
