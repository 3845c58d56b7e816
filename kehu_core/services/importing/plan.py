"""What an import will do, decided by its first pass (:mod:`.matching`) and written by its
second (:mod:`.applying`): a ``Planned`` per customer, and the ``ImportSummary`` of the batch
that ``kehu import`` prints (or gives as JSON).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .prepare import Prepared


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


@dataclass
class ImportSummary:
    dry_run: bool
    files: list[str] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    merged: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
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

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run, "files": self.files, "rows": self.rows,
            "created": self.created, "merged": self.merged, "skipped": self.skipped,
            "purchases_added": self.purchases_added, "purchases_existing": self.purchases_existing,
            "problems": self.problems, "extra_fields": dict(self.extra_fields),
            "not_imported": dict(self.not_imported), "unlinked": self.unlinked, "warnings": self.warnings,
        }
