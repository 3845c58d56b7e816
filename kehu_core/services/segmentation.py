"""Grouping customers by what they bring: the pyramid, ABC classes and RFM scores.

Pure functions over plain numbers, shared by the tiering plugin and the reports, so that a
tier shown in the TUI and the same figure in ``kehu report abc`` can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..store import Store

PYRAMID_SHARES = (0.01, 0.19, 0.30, 0.50)
PYRAMID_NAMES = ("重要客户", "主要客户", "普通客户", "小客户")


@dataclass(frozen=True)
class CustomerActivity:
    """What RFM needs about one customer over a window."""

    last_purchase: dt.date | None
    purchases: int
    revenue: Decimal


def activity(store: Store, start: dt.date | None = None, end: dt.date | None = None) -> dict[str, CustomerActivity]:
    """Purchases per customer in [start, end), from the index; customers who bought nothing
    in the window are included with zeros."""
    sql = (
        "SELECT c.id, max(i.date), count(i.id), coalesce(sum(i.amount), 0) FROM customers c"
        " LEFT JOIN interactions i ON i.customer_id=c.id AND i.kind='purchase'"
    )
    params: list[str] = []
    if start:
        sql += " AND i.date >= ?"
        params.append(start.isoformat())
    if end:
        sql += " AND i.date < ?"
        params.append(end.isoformat())
    sql += " GROUP BY c.id"
    out = {}
    for cid, last, count, revenue in store.index.db.execute(sql, params):
        out[cid] = CustomerActivity(
            dt.date.fromisoformat(last) if last else None, count,
            Decimal(str(round(revenue, 2))),
        )
    return out


def _ranked(revenue: Mapping[str, Decimal]) -> list[str]:
    """Highest revenue first; ties broken by id so results are stable."""
    return sorted(revenue, key=lambda cid: (-revenue[cid], cid))


def pyramid(
    revenue: Mapping[str, Decimal],
    shares: Sequence[float] = PYRAMID_SHARES,
    names: Sequence[str] = PYRAMID_NAMES,
) -> dict[str, str]:
    """The customer pyramid: top 1 % / next 19 % / next 30 % / last 50 % by revenue.

    Counts are rounded so that every tier with a non-zero share gets at least one customer
    when there are enough customers; the last tier takes the rest.
    """
    if len(shares) != len(names):
        raise ValueError("pyramid: as many shares as names are needed")
    ranked = _ranked(revenue)
    total = len(ranked)
    out: dict[str, str] = {}
    start, cumulative = 0, 0.0
    for i, (share, name) in enumerate(zip(shares, names, strict=True)):
        cumulative += share
        end = total if i == len(shares) - 1 else round(total * cumulative)
        if total >= len(shares):
            end = max(end, i + 1)  # every tier gets someone once there are enough customers
        end = min(max(end, start), total)
        for cid in ranked[start:end]:
            out[cid] = name
        start = end
    return out


def abc_classes(
    revenue: Mapping[str, Decimal], a: float = 0.8, b: float = 0.95
) -> dict[str, str]:
    """ABC by cumulative share of revenue: A up to ``a`` of revenue, B up to ``b``, C the rest.

    A customer is in A if the revenue of those ranked before them is under ``a`` of the total
    (so the customer who crosses the line still counts as A). No revenue at all: C.
    """
    total = sum(revenue.values(), Decimal(0))
    out = {}
    running = Decimal(0)
    for cid in _ranked(revenue):
        if total <= 0 or revenue[cid] <= 0:
            out[cid] = "C"
            continue
        before = running / total
        out[cid] = "A" if before < Decimal(str(a)) else "B" if before < Decimal(str(b)) else "C"
        running += revenue[cid]
    return out


@dataclass(frozen=True)
class RFMScore:
    r: int
    f: int
    m: int
    segment: str

    @property
    def code(self) -> str:
        return f"{self.r}{self.f}{self.m}"


RFM_SEGMENTS = (
    # (name, test on r, f, m) — first match wins
    ("冠军客户", lambda r, f, m: r >= 4 and f >= 4 and m >= 4),
    ("忠诚客户", lambda r, f, m: f >= 4),
    ("潜力客户", lambda r, f, m: r >= 4 and f >= 2),
    ("新客户", lambda r, f, m: r >= 4),
    ("需要关注", lambda r, f, m: r == 3),
    ("流失风险", lambda r, f, m: r == 2 and (f >= 3 or m >= 3)),
    ("沉睡客户", lambda r, f, m: True),
)


def _quintile(values: Mapping[str, float], higher_is_better: bool = True) -> dict[str, int]:
    """Score 1-5 by rank (equal values share a score)."""
    ordered = sorted(set(values.values()), reverse=not higher_is_better)
    n = len(ordered)
    position = {v: i for i, v in enumerate(ordered)}
    return {cid: 1 + (position[v] * 5) // n for cid, v in values.items()} if n else {}


def rfm(activity_by_customer: Mapping[str, CustomerActivity], today: dt.date) -> dict[str, RFMScore]:
    """RFM scores 1-5 (5 best) among customers who bought at least once, with a segment name."""
    buyers = {cid: a for cid, a in activity_by_customer.items() if a.purchases > 0 and a.last_purchase}
    recency = _quintile({cid: -(today - a.last_purchase).days for cid, a in buyers.items()})  # type: ignore[operator]
    frequency = _quintile({cid: float(a.purchases) for cid, a in buyers.items()})
    monetary = _quintile({cid: float(a.revenue) for cid, a in buyers.items()})
    out = {}
    for cid in buyers:
        r, f, m = recency[cid], frequency[cid], monetary[cid]
        segment = next(name for name, test in RFM_SEGMENTS if test(r, f, m))
        out[cid] = RFMScore(r, f, m, segment)
    return out
