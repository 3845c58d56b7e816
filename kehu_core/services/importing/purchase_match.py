"""An import's sales: each checked as it is read, given an id of its content, and matched with
the sales a customer (or a duplicate of them) already has, so that importing a file again, or a
sheet kehu exported, adds no sale twice. The purchase half of :class:`.matching.Merger`."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ...errors import KehuError
from ...i18n import _
from ...models import parse_interaction
from ...problems import validation_problems
from ..dedupe import contact_keys
from .base import short_source
from .plan import ImportSummary, Planned
from .prepare import placed

if TYPE_CHECKING:
    from ...index import Index
    from ...store import Store

_PLACEHOLDER_ID = "import-check"


class PurchaseMatching:
    """The sales of one import batch (mixed into :class:`.matching.Merger`, which sets these)."""

    store: Store
    index: Index | None
    allow_future: bool
    existing_data: dict[str, dict[str, Any]]
    by_contact: dict[str, str]
    shared_contact: dict[str, set[str]]
    purchase_ids: set[tuple[str, str]]
    seen_purchases: Counter[bytes]  # (customer, sale)'s hash → like sales planned so far
    store_sales: dict[str, Counter[tuple[Any, ...]]]

    def _check_purchase(self, data: dict[str, Any], places: dict[str, str]) -> dict[str, Any]:
        """The sale checked by the model and the store's rule on dates; a ValueError names the
        cell of what is wrong where the contact's ``places`` has it (``purchase.due``: a sheet's
        cell, ``sheet.cell_place``), else the sale's field."""
        at = {key.removeprefix("purchase."): where for key, where in places.items() if key.startswith("purchase.")}
        try:
            checked = parse_interaction({**data, "kind": "purchase", "id": _PLACEHOLDER_ID})
        except ValidationError as exc:
            raise ValueError("; ".join(
                text if text != p.message else _("purchase: ") + text
                for p in validation_problems(exc, "") for text in [placed(p, at)])) from None
        try:  # the store's one rule on dates, checked while planning: the row is reported
            self.store.check_days_not_future(checked, allow_future=self.allow_future)
        except KehuError as exc:
            where = at.get(str(getattr(exc, "loc", ("",))[0]))
            raise ValueError(f"{where}: {exc}" if where else str(exc)) from None
        return {**data, "kind": "purchase", "date": checked.date}

    def _plan_purchase(self, entry: Planned, purchase: dict[str, Any], source: str,
                       summary: ImportSummary) -> None:
        content = json.dumps({k: v for k, v in purchase.items() if k != "id"},
                             sort_keys=True, default=str, ensure_ascii=False)
        # the like sales of this customer counted by a hash of the two, not the sale's text
        # (a 100 000-row sheet held every sale's text and customer to the import's end)
        key = hashlib.blake2b(f"{entry.cid}#{content}".encode(), digest_size=16).digest()
        self.seen_purchases[key] += 1
        # the customer's too: another customer's like sale (the same day, item and amount),
        # imported before, held the id, and this one was refused as a record of theirs; a sale
        # imported before under the id of its content alone is found by what it sold (_had)
        digest = hashlib.sha1(f"{entry.cid}#{content}#{self.seen_purchases[key]}".encode()).hexdigest()[:10]
        iid = f"{purchase['date'].isoformat()}-{digest}"
        # Already there, on this customer or on a duplicate of them (one sharing a phone or
        # email, not yet merged): the same purchase is never added twice.
        same = self._same_customers(entry)
        sold = _sold(purchase)
        if any((cid, iid) in self.purchase_ids for cid in same):
            self._had(same, sold)  # that one of the customers' purchases is this row's
            summary.purchases_existing += 1
            return
        if self._had(same, sold):  # recorded in kehu and exported (`kehu export --what purchases`)
            summary.purchases_existing += 1
            return
        # its id is not kept in ``purchase_ids`` (those of the store): its customer and count make
        # it this import's only sale of that id, and 100 000 of them were held to its end
        entry.purchases.append({**purchase, "id": iid, "imported_from": short_source(source)})

    def _had(self, customers: set[str], sold: tuple[Any, ...]) -> bool:
        """Whether one of ``customers``' purchases in the store, not yet taken by a row of this
        import, is ``sold`` (its day, its items as a sheet's cell, its amount); taking it. A
        sheet exported by kehu and read back in added every purchase a second time: they had
        ids of kehu's making, not the content ids an import gives."""
        for cid in sorted(customers):
            if cid not in self.existing_data:
                continue
            had = self.store_sales.get(cid)
            if had is None:
                had = self.store_sales[cid] = Counter(_sold(p) for p in self.index.purchases_of(cid)) \
                    if self.index is not None else Counter()
            if had[sold] > 0:
                had[sold] -= 1
                return True
        return False

    def _same_customers(self, entry: Planned) -> set[str]:
        """This customer and every other one the store's rule says is the same person."""
        same = {entry.cid}
        for key in contact_keys(entry.current.get("phones") or [], entry.current.get("emails") or []):
            if (cid := self.by_contact.get(key)) is not None:
                same.add(cid)
                same |= self.shared_contact.get(key, set())
        return same


def _sold(purchase: dict[str, Any]) -> tuple[Any, ...]:
    """What a purchase sold, as a purchases sheet says it: its day, its items as the sheet's
    cell, its amount (a number: ``1920.00`` and ``1920`` are one)."""
    from ..export_tables import items_cell

    day, amount = purchase.get("date"), purchase.get("amount")
    return (str(day)[:10], items_cell(purchase.get("items") or []),
            None if amount is None else Decimal(str(amount)))
