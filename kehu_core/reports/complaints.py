"""``kehu report complaints``: how complaints are handled, and whether the customers came back.

The seeds: "75 % of guests come back when a complaint is resolved well". The report measures,
for the complaints received up to the report's day:

- handling times: hours from receiving a complaint to acknowledging it, and to resolving it
  (only moves whose moment is recorded: files from before the workflow have none);
- the share answered and resolved in time (by the deadlines of :mod:`kehu_core.complaints`);
- how many customers bought again after a resolved complaint: customers with a resolved (or
  closed) complaint, and of them those with a purchase dated after the day it was resolved
  (their earliest resolved complaint counts; a complaint resolved before the workflow recorded
  moments counts from its own date).

The deadlines, states and moments come from :mod:`kehu_core.complaints` (their one home).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import complaints as cp

if TYPE_CHECKING:
    from ..store import Store

#: the seeds' figure, printed next to the store's own
SEED_COMEBACK_SHARE = 0.75


@dataclass
class Timing:
    """Hours from receiving a complaint to a move, over the complaints whose move is recorded."""

    count: int = 0
    in_time: int = 0  # of ``count``, made by the deadline
    mean_hours: float | None = None
    median_hours: float | None = None
    max_hours: float | None = None
    share_in_time: float | None = None  # in_time / count


@dataclass
class ComplaintReport:
    today: dt.date
    respond_within_hours: int
    resolve_within_days: int
    total: int
    by_state: dict[str, int]
    overdue_now: int  # unfinished and past a deadline
    acknowledge: Timing
    resolve: Timing
    resolved_without_moment: int  # resolved before the workflow recorded moments
    customers_resolved: int  # customers with a resolved (or closed) complaint
    customers_bought_again: int  # of them, those who bought after it was resolved
    comeback_share: float | None
    seed_comeback_share: float = SEED_COMEBACK_SHARE
    by_handler: dict[str, dict[str, int]] = field(default_factory=dict)


def _hours(start: dt.datetime, end: dt.datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 3600)


def _timing(hours: list[float], in_time: int) -> Timing:
    if not hours:
        return Timing()
    return Timing(len(hours), in_time, round(statistics.fmean(hours), 1),
                  round(statistics.median(hours), 1), round(max(hours), 1),
                  round(in_time / len(hours), 4))


def complaint_report(store: Store, today: dt.date) -> ComplaintReport:
    settings = store.config.complaints
    views = [v for v in cp.complaints(store) if v.complaint.date <= today]
    by_state = {s: 0 for s in cp.COMPLAINT_STATES}
    ack_hours: list[float] = []
    ack_in_time = 0
    res_hours: list[float] = []
    res_in_time = 0
    without_moment = 0
    resolved_on: dict[str, dt.date] = {}  # customer → the day of their earliest resolution
    by_handler: dict[str, dict[str, int]] = {}
    for v in views:
        c = v.complaint
        by_state[c.status] += 1
        start = cp.received(c)
        handler = by_handler.setdefault(v.handler or "-", {"complaints": 0, "open": 0, "overdue": 0})
        handler["complaints"] += 1
        handler["open"] += v.unfinished
        handler["overdue"] += v.overdue
        acked = cp.when(c, cp.ACKNOWLEDGED)
        if acked is not None:
            ack_hours.append(_hours(start, acked))
            ack_in_time += acked <= v.deadlines.respond_by
        if cp.reached(c, cp.RESOLVED):
            resolved = cp.when(c, cp.RESOLVED)
            if resolved is None:
                without_moment += 1
                day = c.date
            else:
                res_hours.append(_hours(start, resolved))
                res_in_time += resolved <= v.deadlines.resolve_by
                day = resolved.date()
            if v.customer_id not in resolved_on or day < resolved_on[v.customer_id]:
                resolved_on[v.customer_id] = day
    came_back: set[str] = set()
    if resolved_on:
        first = min(resolved_on.values())
        end = today + dt.timedelta(days=1)
        for p in store.index.purchases(since=(first + dt.timedelta(days=1)).isoformat(), until=end.isoformat()):
            cid = p["customer_id"]
            if cid in resolved_on and dt.date.fromisoformat(str(p["date"])[:10]) > resolved_on[cid]:
                came_back.add(cid)
    return ComplaintReport(
        today, settings.respond_within_hours, settings.resolve_within_days, len(views), by_state,
        sum(1 for v in views if v.overdue), _timing(ack_hours, ack_in_time), _timing(res_hours, res_in_time),
        without_moment, len(resolved_on), len(came_back),
        round(len(came_back) / len(resolved_on), 4) if resolved_on else None,
        by_handler=dict(sorted(by_handler.items())),
    )
