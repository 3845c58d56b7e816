"""``kehu report lifecycle`` and ``kehu report rfm``: lifecycle stages, RFM scores and CLV."""


from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..services.scoring import activity, rfm

if TYPE_CHECKING:
    from ..store import Store

from .common import (
    ACTIVE,
    CENT,
    CHURNED,
    DORMANT,
    NEW,
    NOT_YET,
    PROSPECT,
    STAGES,
    ZERO,
    Settings,
    customers,
    first_purchases,
    percent,
)

# --- lifecycle and RFM ----------------------------------------------------------------------


def stages(store: Store, day: dt.date, settings: Settings | None = None) -> dict[str, str]:
    """Each customer's lifecycle stage on ``day`` (purchases up to and including it).

    prospect: never bought; new: first purchase within the last ``new_days``; active: last
    purchase within ``active_days``; dormant: within ``churn_days``; churned: longer ago.
    A customer created after ``day`` who had not bought by then is ``not_yet``.
    """
    s = settings or store.config.reports
    end = day + dt.timedelta(days=1)
    upto = activity(store, None, end)
    before_new = activity(store, None, end - dt.timedelta(days=s.new_days))
    info = customers(store)
    out = {}
    for cid, act in upto.items():
        if not act.purchases or act.last_purchase is None:
            created = info[cid].created if cid in info else None
            out[cid] = NOT_YET if created and created > day else PROSPECT
        elif before_new[cid].purchases == 0:
            out[cid] = NEW
        else:
            since = (day - act.last_purchase).days
            out[cid] = (
                ACTIVE if since < s.active_days else DORMANT if since < s.churn_days else CHURNED
            )
    return out


@dataclass
class LifecycleReport:
    today: dt.date
    since: dt.date  # the day the movements are counted from
    settings: Settings
    counts: dict[str, int]  # stage → customers today
    before: dict[str, int]  # stage → customers on ``since``
    movements: dict[str, dict[str, int]]  # stage on ``since`` → stage today → customers
    moved: list[dict[str, str]]  # the customers whose stage changed: id, name, from, to


def lifecycle_report(store: Store, today: dt.date, since: dt.date) -> LifecycleReport:
    """Stage counts today, on ``since``, and who moved from which stage to which."""
    settings = store.config.reports
    now, then = stages(store, today, settings), stages(store, since, settings)
    order = [NOT_YET, *STAGES]
    movements = {a: dict.fromkeys(STAGES, 0) for a in order}
    moved = []
    info = customers(store)
    for cid, stage in now.items():
        if stage == NOT_YET:  # not in the store yet on the report's day (a prospect added since)
            continue
        old = then.get(cid, NOT_YET)
        movements[old][stage] += 1
        if old != stage:
            moved.append({"id": cid, "name": info[cid].name, "from": old, "to": stage})
    moved.sort(key=lambda m: (order.index(m["from"]), STAGES.index(m["to"]), m["name"], m["id"]))
    counts = Counter(now.values())
    before = Counter(then.values())
    return LifecycleReport(
        today, since, settings, {s: counts.get(s, 0) for s in STAGES},
        {s: before.get(s, 0) for s in order}, movements, moved,
    )


@dataclass
class RfmCustomer:
    id: str
    name: str
    owner: str | None
    r: int
    f: int
    m: int
    code: str
    segment: str
    stage: str
    purchases: int
    revenue: Decimal
    first_purchase: dt.date
    last_purchase: dt.date
    aov: Decimal  # average order value
    per_year: float  # purchases per year
    clv: Decimal


@dataclass
class RfmReport:
    today: dt.date
    settings: Settings
    segments: dict[str, dict[str, Any]]  # segment → {customers, revenue, share, clv}
    stages: dict[str, int]
    customers: list[RfmCustomer]


# how likely a customer in each stage still buys, for the CLV estimate
ALIVE = {NEW: 1.0, ACTIVE: 1.0, DORMANT: 0.5, CHURNED: 0.0}


def clv_estimate(
    revenue: Decimal, purchases: int, first: dt.date, today: dt.date, stage: str, s: Settings
) -> tuple[Decimal, float, Decimal]:
    """``(clv, purchases per year, average order value)`` of one buyer.

    CLV = revenue so far + AOV × purchases per year × ``clv_years`` × P(alive), all × margin.
    Purchases per year are counted over the customer's time as a buyer but at least a year,
    so a single recent purchase is not extrapolated to dozens a year. P(alive) is 1 for new
    and active customers, 0.5 for dormant ones and 0 for churned ones.
    """
    aov = (revenue / purchases).quantize(CENT) if purchases else ZERO
    tenure = max((today - first).days + 1, 365)
    per_year = purchases * 365 / tenure
    future = aov * Decimal(str(per_year * s.clv_years * ALIVE.get(stage, 0.0)))
    clv = ((revenue + future) * Decimal(str(s.margin))).quantize(CENT)
    return clv, round(per_year, 2), aov


def rfm_report(store: Store, today: dt.date) -> RfmReport:
    """RFM scores of every buyer (all purchases up to ``today``), segments, stages and CLV."""
    settings = store.config.reports
    end = today + dt.timedelta(days=1)
    acts = activity(store, None, end)
    scores = rfm(acts, today)
    stage_of = stages(store, today, settings)
    firsts = first_purchases(store, end)
    info = customers(store)
    rows = []
    for cid, score in scores.items():
        act = acts[cid]
        clv, per_year, aov = clv_estimate(
            act.revenue, act.purchases, firsts[cid], today, stage_of[cid], settings
        )
        rows.append(RfmCustomer(
            cid, info[cid].name, info[cid].owner, score.r, score.f, score.m, score.code,
            score.segment, stage_of[cid], act.purchases, act.revenue, firsts[cid],
            act.last_purchase or today, aov, per_year, clv,
        ))
    rows.sort(key=lambda r: (-r.clv, r.id))
    total = sum((r.revenue for r in rows), ZERO)
    segments: dict[str, dict[str, Any]] = {}
    for row in rows:
        seg = segments.setdefault(row.segment, {"customers": 0, "revenue": ZERO, "clv": ZERO})
        seg["customers"] += 1
        seg["revenue"] += row.revenue
        seg["clv"] += row.clv
    for seg in segments.values():
        seg["share"] = percent(seg["revenue"], total)
    counts = Counter(stage_of.values())
    return RfmReport(
        today, settings, dict(sorted(segments.items(), key=lambda kv: -kv[1]["revenue"])),
        {s: counts.get(s, 0) for s in STAGES}, rows,
    )
