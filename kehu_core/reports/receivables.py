"""``kehu report receivables``: what is owed (应收账款), aged, per rep."""


from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store import Store

from .common import (
    RECEIVABLE_BUCKETS,
    ZERO,
    customers,
    to_money,
)

# --- receivables (应收账款 / 逾期未收货款) -------------------------------------------------------


def age_bucket(days_overdue: int) -> str:
    """``not_due`` before the due day, then 0-30, 31-60, 61-90 and 90+ days past due."""
    if days_overdue < 0:
        return "not_due"
    if days_overdue <= 30:
        return "0-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    return "90+"


@dataclass
class Receivable:
    customer_id: str
    name: str
    rep: str
    purchase_id: str
    date: dt.date
    due: dt.date | None
    amount: Decimal
    days_overdue: int  # from the due date, or from the purchase date when there is none
    bucket: str


@dataclass
class ReceivablesReport:
    today: dt.date
    total: Decimal
    buckets: dict[str, dict[str, Any]]  # bucket → {count, amount}
    by_rep: dict[str, dict[str, Decimal]]  # rep → bucket → amount (and "total")
    items: list[Receivable]


def receivables_report(store: Store, today: dt.date) -> ReceivablesReport:
    """Unpaid purchases made up to ``today``, aged and grouped by rep.

    Age is counted from the due date; a purchase without one was due on the day of the sale.
    The rep is the customer's owner (who has to chase the money), else whoever made the sale.
    """
    info = customers(store)
    rows = store.index.unpaid_purchases(today.isoformat())
    items = []
    for cid, pid, date, due, amount, by in rows:
        day = dt.date.fromisoformat(date)
        due_day = dt.date.fromisoformat(due) if due else None
        overdue = (today - (due_day or day)).days
        who = info.get(cid)
        items.append(Receivable(
            cid, who.name if who else cid, (who.owner if who else None) or by or "-", pid, day,
            due_day, to_money(round(amount, 2)), overdue, age_bucket(overdue),
        ))
    items.sort(key=lambda r: (-r.days_overdue, -r.amount, r.customer_id))
    buckets = {b: {"count": 0, "amount": ZERO} for b in RECEIVABLE_BUCKETS}
    by_rep: dict[str, dict[str, Decimal]] = {}
    for item in items:
        buckets[item.bucket]["count"] += 1
        buckets[item.bucket]["amount"] += item.amount
        rep = by_rep.setdefault(item.rep, {b: ZERO for b in (*RECEIVABLE_BUCKETS, "total")})
        rep[item.bucket] += item.amount
        rep["total"] += item.amount
    by_rep = dict(sorted(by_rep.items(), key=lambda kv: (-kv[1]["total"], kv[0])))
    total = sum((i.amount for i in items), ZERO)
    return ReceivablesReport(today, total, buckets, by_rep, items)
