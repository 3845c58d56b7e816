"""What an import will do, decided by its first pass (:mod:`.matching`) and written by its
second (:mod:`.applying`): a ``Planned`` per customer, and the ``ImportSummary`` of the batch
that ``kehu import`` prints (or gives as JSON).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .spill import Place, Spill, SpilledList

if TYPE_CHECKING:
    from .prepare import Prepared

#: planned customers held as objects at a time, the most recently matched (a sheet's rows of one
#: customer are mostly near each other); the others are in the import's spill file
HOT = 1000


@dataclass
class Planned:
    """What the import will do to one customer."""

    cid: str
    new: bool
    current: dict[str, Any]  # the customer as it will be
    sources: list[str] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)  # for existing customers
    added: list[str] = field(default_factory=list)  # "phone +86...", "tag VIP"
    conflicts: list[str] = field(default_factory=list)
    purchases: list[dict[str, Any]] = field(default_factory=list)
    level: tuple[dt.date, str, str] | None = None  # (as of, level, source) from dated rows
    prepared: Prepared | None = None  # a worker's guess of this new customer (see .prepare)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.cid, "name": self.current.get("name"), "source": self.sources[0],
            "rows": len(self.sources), "added": self.added, "conflicts": self.conflicts,
            "purchases": len(self.purchases),
        }


class Plan:
    """The plan's customers by id, in the order first planned. The :data:`HOT` most recently
    asked for are held as objects, the others in ``spill`` (100 000 planned customers took
    some 500 MB); a customer a plugin's importer gave values of (:meth:`keep`) always as
    objects: pickling a plugin's value would run its code outside its guard."""

    def __init__(self, spill: Spill, hot: int = HOT) -> None:
        self._spill = spill
        self._size = hot
        self._hot: OrderedDict[str, Planned] = OrderedDict()
        self._kept: dict[str, Planned] = {}
        self._cold: dict[str, Place] = {}
        self._order: list[str] = []

    def __contains__(self, cid: object) -> bool:
        return cid in self._hot or cid in self._cold or cid in self._kept

    def __len__(self) -> int:
        return len(self._order)

    def get(self, cid: str) -> Planned | None:
        """The customer planned as ``cid`` (held as an object until others are asked for)."""
        if (entry := self._kept.get(cid)) is not None:
            return entry
        if (entry := self._hot.get(cid)) is not None:
            self._hot.move_to_end(cid)
            return entry
        place = self._cold.pop(cid, None)
        if place is None:
            return None
        entry = self._hot[cid] = self._spill.get(place)
        self._cool()
        return entry

    def add(self, entry: Planned) -> None:
        self._order.append(entry.cid)
        self._hot[entry.cid] = entry
        self._cool()

    def keep(self, entry: Planned) -> None:
        """``entry`` (just asked for) held as an object to the end."""
        if self._hot.pop(entry.cid, None) is not None:
            self._kept[entry.cid] = entry

    def _cool(self) -> None:
        while len(self._hot) > self._size:
            cid, entry = self._hot.popitem(last=False)
            self._cold[cid] = self._spill.put(entry)

    def values(self) -> Iterator[Planned]:
        """Each planned customer in order, as it is now (one read back from the file is a copy:
        a change to it is not kept)."""
        for cid in self._order:
            entry = self._kept.get(cid) or self._hot.get(cid)
            yield entry if entry is not None else self._spill.get(self._cold[cid])

    def referrers(self) -> tuple[dict[str, str | None], int]:
        """Each new or re-referred customer's referrer as planned (the store's referrer rule
        looks through the whole plan: a referrer may come later in the file), and the records
        the plan writes (each customer and each of its purchases)."""
        planned: dict[str, str | None] = {}
        total = 0
        for entry in self.values():
            total += 1 + len(entry.purchases)
            if entry.new or "referrer" in entry.changes:
                planned[entry.cid] = entry.current.get("referrer")
        return planned, total

    def drain(self) -> Iterator[Planned]:
        """Each planned customer in order, let go of as it is given (the plan is then empty)."""
        order, self._order = self._order, []
        for cid in order:
            entry = self._kept.pop(cid, None) or self._hot.pop(cid, None)
            yield entry if entry is not None else self._spill.get(self._cold.pop(cid))


@dataclass
class ImportSummary:
    dry_run: bool
    files: list[str] = field(default_factory=list)
    # a line for each customer: in the import's spill file beyond the first (kehu_core.services.importing.spill)
    created: SpilledList = field(default_factory=SpilledList)
    merged: SpilledList = field(default_factory=SpilledList)
    skipped: SpilledList = field(default_factory=SpilledList)
    purchases_added: int = 0
    purchases_existing: int = 0
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    extra_fields: Counter[str] = field(default_factory=Counter)
    not_imported: Counter[str] = field(default_factory=Counter)
    #: rows whose referrer is nobody here or closes a loop: imported without it (import_extra)
    unlinked: list[str] = field(default_factory=list)
    #: what a reader left out on purpose, each ``file:line: warning: message`` (base.RowWarning)
    warnings: list[str] = field(default_factory=list)

    def spill_to(self, spill: Spill) -> None:
        """Its lines of customers kept in ``spill`` past the first (an import of 100 000 cards:
        100 000 lines of what each gained, 120 MB)."""
        for lines in (self.created, self.merged, self.skipped):
            lines.spill = spill

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run, "files": self.files, "rows": self.rows,
            "created": list(self.created), "merged": list(self.merged), "skipped": list(self.skipped),
            "purchases_added": self.purchases_added, "purchases_existing": self.purchases_existing,
            "problems": self.problems, "extra_fields": dict(self.extra_fields),
            "not_imported": dict(self.not_imported), "unlinked": self.unlinked, "warnings": self.warnings,
        }
