"""``kehu report abc``: ABC classes and the 80/20 (Pareto) picture of customers."""


from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..services.scoring import abc_classes, activity

if TYPE_CHECKING:
    from ..store import Store

from .common import (
    ZERO,
    Period,
    customers,
    percent,
)

# --- ABC / Pareto ---------------------------------------------------------------------------


@dataclass
class ParetoSnapshot:
    """How revenue is spread over the customers who bought in one period."""

    period: Period
    buyers: int
    revenue: Decimal
    top20_customers: int  # ceil(20 % of buyers)
    top20_share: float  # percent of revenue they brought
    classes: dict[str, dict[str, Any]]  # A/B/C → {customers, revenue, share}
    curve: list[float]  # cumulative revenue share (%) at 10 %, 20 % ... 100 % of buyers


@dataclass
class AbcCustomer:
    id: str
    name: str
    owner: str | None
    revenue: Decimal
    share: float
    abc: str
    prev_abc: str  # class in the previous period, "-" when the customer did not buy then
    prev_revenue: Decimal


@dataclass
class AbcReport:
    current: ParetoSnapshot
    previous: ParetoSnapshot
    movements: dict[str, dict[str, int]]  # previous class → current class → customers
    customers: list[AbcCustomer]


def _snapshot(
    period: Period, revenue: dict[str, Decimal], classes: dict[str, str]
) -> ParetoSnapshot:
    ranked = sorted(revenue, key=lambda c: (-revenue[c], c))
    total = sum(revenue.values(), ZERO)
    n = len(ranked)
    top = math.ceil(n * 0.2)
    top_revenue = sum((revenue[c] for c in ranked[:top]), ZERO)
    per_class: dict[str, dict[str, Any]] = {}
    for name in "ABC":
        members = [c for c in ranked if classes[c] == name]
        money = sum((revenue[c] for c in members), ZERO)
        per_class[name] = {"customers": len(members), "revenue": money, "share": percent(money, total)}
    curve = []
    running, pos = ZERO, 0
    for decile in range(1, 11):
        upto = math.ceil(n * decile / 10)
        while pos < upto:
            running += revenue[ranked[pos]]
            pos += 1
        curve.append(percent(running, total))
    return ParetoSnapshot(period, n, total, top, percent(top_revenue, total), per_class, curve)


def _buyers_revenue(store: Store, period: Period) -> dict[str, Decimal]:
    acts = activity(store, period.start, period.end)
    return {c: a.revenue for c, a in acts.items() if a.purchases}


def abc_report(store: Store, period: Period) -> AbcReport:
    """The share of revenue from the top 20 % of buyers, ABC classes, and what moved since.

    Only customers who bought in a period are ranked in it; ABC is
    :func:`scoring.abc_classes` (A: the first 80 % of revenue, B: up to 95 %, C: rest).
    """
    previous = period.previous()
    now = _buyers_revenue(store, period)
    before = _buyers_revenue(store, previous)
    cls_now, cls_before = abc_classes(now), abc_classes(before)
    movements: dict[str, dict[str, int]] = {
        src: dict.fromkeys(["A", "B", "C", "-"], 0) for src in ["A", "B", "C", "-"]
    }
    for cid in set(now) | set(before):
        movements[cls_before.get(cid, "-")][cls_now.get(cid, "-")] += 1
    info = customers(store)
    total = sum(now.values(), ZERO)
    rows = [
        AbcCustomer(
            cid, info[cid].name if cid in info else cid, info[cid].owner if cid in info else None,
            now[cid], percent(now[cid], total), cls_now[cid], cls_before.get(cid, "-"),
            before.get(cid, ZERO),
        )
        for cid in sorted(now, key=lambda c: (-now[c], c))
    ]
    return AbcReport(
        _snapshot(period, now, cls_now), _snapshot(previous, before, cls_before), movements, rows,
    )
