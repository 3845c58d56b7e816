"""``kehu report churn``: customers lost, with what they were worth."""


from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..services.scoring import activity, pyramid

if TYPE_CHECKING:
    from ..store import Store

from .common import (
    CHURNED,
    DORMANT,
    ZERO,
    customers,
    first_purchases,
    to_money,
)
from .lifecycle import stages

# --- churn ----------------------------------------------------------------------------------


@dataclass
class ChurnedCustomer:
    id: str
    name: str
    owner: str | None
    level: str | None
    group: str  # pyramid tier by revenue up to today (scoring.pyramid)
    tags: list[str]
    first_purchase: dt.date
    last_purchase: dt.date
    days_since: int
    purchases: int
    revenue: Decimal
    last_interactions: list[dict[str, Any]]  # newest first: date, kind, text
    complaints: list[dict[str, Any]]  # every complaint: date, status, text, resolution


@dataclass
class ChurnReport:
    today: dt.date
    churn_days: int
    buyers: int
    dormant: int
    churned: list[ChurnedCustomer]
    by_month: dict[str, int]  # YYYY-MM of the last purchase → churned customers
    by_group: dict[str, int]
    by_owner: dict[str, int]
    with_complaints: int  # churned customers who complained at least once
    with_open_complaints: int
    revenue_lost: Decimal  # what they brought in their last 365 days as buyers


def _history(store: Store, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Every non-purchase interaction of these customers, newest first."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cid, data in store.index.histories(list(ids), purchases=False, newest_first=True):
        out[cid].append(json.loads(data))
    return out


def churn_report(store: Store, today: dt.date, *, last_interactions: int = 3) -> ChurnReport:
    """Who stopped buying (no purchase for ``churn_days``), when, in which group, and what
    they last heard from us or told us (interactions, complaints) — to find why they left."""
    settings = store.config.reports
    end = today + dt.timedelta(days=1)
    acts = activity(store, None, end)
    stage_of = stages(store, today, settings)
    buyers = {c: a.revenue for c, a in acts.items() if a.purchases}
    # the pyramid ranks every customer, buyers or not, as `kehu tier` does (scoring.pyramid)
    groups = pyramid({c: a.revenue for c, a in acts.items()})
    firsts = first_purchases(store, end)
    info = customers(store)
    churned_ids = [c for c, s in stage_of.items() if s == CHURNED]
    history = _history(store, churned_ids)
    rows = []
    lost = ZERO
    for cid in churned_ids:
        act = acts[cid]
        last = act.last_purchase
        assert last is not None
        events = history.get(cid, [])
        complaints = [
            {"date": e["date"], "status": e.get("status", "open"), "text": e.get("text"),
             "resolution": e.get("resolution")}
            for e in events if e["kind"] == "complaint"
        ]
        recent = [
            {"date": e["date"], "kind": e["kind"], "text": e.get("text")}
            for e in events[:last_interactions]
        ]
        lost += revenue_between(store, cid, last - dt.timedelta(days=364), last)
        rows.append(ChurnedCustomer(
            cid, info[cid].name, info[cid].owner, info[cid].level, groups.get(cid, ""),
            info[cid].tags, firsts[cid], last, (today - last).days, act.purchases, act.revenue,
            recent, complaints,
        ))
    rows.sort(key=lambda r: (-r.revenue, r.id))
    by_month = Counter(r.last_purchase.strftime("%Y-%m") for r in rows)
    return ChurnReport(
        today, settings.churn_days, len(buyers),
        sum(1 for s in stage_of.values() if s == DORMANT), rows,
        dict(sorted(by_month.items())), dict(Counter(r.group for r in rows).most_common()),
        dict(Counter(r.owner or "-" for r in rows).most_common()),
        sum(1 for r in rows if r.complaints),
        sum(1 for r in rows if any(c["status"] == "open" for c in r.complaints)),
        lost,
    )


def revenue_between(store: Store, cid: str, first: dt.date, last: dt.date) -> Decimal:
    """Revenue of one customer from ``first`` to ``last``, both included."""
    return to_money(round(store.index.revenue_between(cid, first.isoformat(), last.isoformat()), 2))
