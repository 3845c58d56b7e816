"""``kehu report credit``: how each customer pays (on time, late, overdue now), a suggested
credit limit up or down with the reason, and the collection plan of the coming weeks per rep.

What is owed and how overdue it is comes from :func:`~kehu_core.reports.receivables.receivables_report`
(the one home of 应收账款); each customer's limit and terms from :func:`kehu_core.credit.terms_of`;
the thresholds from ``credit: suggest:`` in kehu.yaml (:class:`~kehu_core.config_credit.CreditSuggestSettings`).

A sale on credit is settled **on time** when its last payment came no later than its due day
plus ``credit: grace_days``, **late** otherwise (by that many days); a sale without a due date
was due on the day of the sale, as receivables count it. A sale marked paid without payments
(settled at the counter, or by hand) tells nothing about paying on time and is left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from ..i18n import _
from ..models import Purchase, parse_interaction
from .common import ZERO, Period, customers, to_money
from .receivables import receivables_report

if TYPE_CHECKING:
    from ..store import Store

UP, DOWN, KEEP = "up", "down", "keep"


@dataclass
class CreditCustomer:
    customer_id: str
    name: str
    rep: str
    level: str | None
    limit: Decimal | None
    limit_from: str
    terms_days: int | None
    outstanding: Decimal
    overdue: Decimal  # owed past its due day
    days_overdue: int  # the oldest overdue sale's days past due (0: nothing overdue)
    settled: int  # sales on credit paid in full in the window
    on_time: int
    late: int
    average_days_late: float | None  # over the late ones
    max_days_late: int
    over_limit_sales: int  # sales let through over the limit (--over-limit) in the window
    suggestion: str  # up, down or keep
    suggested_limit: Decimal | None
    reason: str


@dataclass
class DueItem:
    customer_id: str
    name: str
    purchase_id: str
    date: dt.date
    due: dt.date
    amount: Decimal  # still owed
    days_overdue: int


@dataclass
class PlanWeek:
    label: str  # "overdue", a week's Monday (YYYY-MM-DD) or "later"
    start: dt.date | None
    end: dt.date | None  # last day included
    amount: Decimal = ZERO
    items: list[DueItem] = field(default_factory=list)


@dataclass
class CreditReport:
    today: dt.date
    window: Period
    grace_days: int
    outstanding: Decimal
    overdue: Decimal
    customers: list[CreditCustomer]
    suggestions: dict[str, int]  # up / down / keep → customers
    plan: dict[str, list[PlanWeek]]  # rep → overdue, each coming week, later


def _round(value: Decimal, step: int) -> Decimal:
    steps = (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return to_money(max(steps, Decimal(1)) * step)


def _settled_on(p: Purchase) -> dt.date | None:
    """The day a sale on credit was paid in full: its last payment's (None: not settled, or
    settled without payments, so nobody knows when)."""
    if p.voided is not None or not p.paid or not p.payments:
        return None
    return max(x.date for x in p.payments)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def credit_report(store: Store, today: dt.date, owner: str | None = None) -> CreditReport:
    """Payment behaviour, suggested limits and the collection plan on ``today``; ``owner``:
    only that rep's customers and collections (the totals stay the shop's)."""
    from ..credit import terms_of

    if owner is not None and not store.index.list(owner=owner):  # a typo'd rep: no empty plan, exit 0
        from ..config_names import unknown_rep

        raise unknown_rep(store, owner)
    cfg = store.config.credit
    rules = cfg.suggest
    window = Period.ending(today, f"{rules.window_days}d")
    info = customers(store)
    receivables = receivables_report(store, today)

    owed: dict[str, Decimal] = {}
    overdue: dict[str, Decimal] = {}
    oldest: dict[str, int] = {}
    for r in receivables.items:
        owed[r.customer_id] = owed.get(r.customer_id, ZERO) + r.amount
        if r.days_overdue > 0:
            overdue[r.customer_id] = overdue.get(r.customer_id, ZERO) + r.amount
            oldest[r.customer_id] = max(oldest.get(r.customer_id, 0), r.days_overdue)

    late_days: dict[str, list[int]] = {}
    over_limit: dict[str, int] = {}
    for record in store.index.purchases(window.start.isoformat(), window.end.isoformat()):
        if not record.get("over_limit") and not (record.get("paid") is True and record.get("payments")):
            continue  # neither let over the limit nor settled by payments: nothing to count
        cid = record.pop("customer_id")
        p = parse_interaction(record)
        assert isinstance(p, Purchase)
        if p.over_limit is not None and p.voided is None:
            over_limit[cid] = over_limit.get(cid, 0) + 1
        settled = _settled_on(p)
        if settled is None:
            continue
        late_days.setdefault(cid, []).append(max((settled - (p.due or p.date)).days - cfg.grace_days, 0))

    out = []
    for cid in sorted(set(owed) | set(late_days) | set(over_limit)):
        who = info.get(cid)
        if who is None:
            continue
        row_ = store.index.get(cid)  # the profile as the index holds it: no file read per customer
        terms = terms_of(store, row_.customer if row_ is not None else store.get(cid))
        lates = [d for d in late_days.get(cid, []) if d > 0]
        settled = len(late_days.get(cid, []))
        row = CreditCustomer(
            cid, who.name, who.owner or "-", who.level, terms.limit, terms.limit_from, terms.terms_days,
            owed.get(cid, ZERO), overdue.get(cid, ZERO), oldest.get(cid, 0), settled,
            settled - len(lates), len(lates), round(sum(lates) / len(lates), 1) if lates else None,
            max(lates, default=0), over_limit.get(cid, 0), KEEP, terms.limit, "")
        _suggest(row, rules)
        out.append(row)
    out.sort(key=lambda c: ({DOWN: 0, UP: 1, KEEP: 2}[c.suggestion], -c.overdue, -c.outstanding, c.customer_id))
    plan = _plan(receivables.items, today, cfg.plan_weeks)
    if owner is not None:
        out = [c for c in out if c.rep == owner]
        plan = {rep: weeks for rep, weeks in plan.items() if rep == owner}
    counts = {s: sum(1 for c in out if c.suggestion == s) for s in (UP, DOWN, KEEP)}
    return CreditReport(today, window, cfg.grace_days, receivables.total,
                        sum(overdue.values(), ZERO), out, counts, plan)


def _suggest(row: CreditCustomer, rules: object) -> None:
    """Up, down or keep, with the reason in figures (``credit: suggest:`` in kehu.yaml)."""
    from ..config_credit import CreditSuggestSettings

    assert isinstance(rules, CreditSuggestSettings)
    downs = []
    if row.overdue > 0 and row.days_overdue > rules.lower_overdue_days:
        downs.append(_("{amount} overdue, the oldest {days} days (more than {limit})").format(
            amount=_yuan(row.overdue), days=row.days_overdue, limit=rules.lower_overdue_days))
    if row.settled and row.late / row.settled >= rules.lower_late_share and row.late >= 1:
        downs.append(_("{late} of {settled} sales on credit paid late (on average {days} days)").format(
            late=row.late, settled=row.settled, days=f"{row.average_days_late:g}"))
    if downs:
        row.suggestion = DOWN
        if row.limit is not None:
            row.suggested_limit = _round(row.limit * Decimal(str(1 - rules.lower_by)), rules.round_to)
            if row.suggested_limit >= row.limit:
                row.suggested_limit = to_money(row.limit * Decimal(str(1 - rules.lower_by)))
        else:
            row.suggested_limit = None
        row.reason = _("; ").join(downs + ([] if row.limit is not None else [_("no limit set: set one")]))
        return
    if row.on_time >= rules.raise_after and row.late == 0 and row.overdue == 0:
        reason = _("{count} sales on credit paid on time, none late, nothing overdue").format(count=row.on_time)
        if row.limit is None:
            row.reason = _("; ").join((reason, _("no limit set")))
            return
        row.suggestion = UP
        row.suggested_limit = _round(row.limit * Decimal(str(1 + rules.raise_by)), rules.round_to)
        row.reason = reason
        return
    if row.limit is not None and row.outstanding > row.limit:
        row.reason = _("owes {owed}, over the limit {limit} ({sales} sale(s) let over it); collect before "
                       "more on credit").format(owed=_yuan(row.outstanding), limit=_yuan(row.limit),
                                                sales=row.over_limit_sales)
    elif row.settled < rules.raise_after and not row.late:
        row.reason = _("{settled} sales on credit settled in the window; up after {count} on time").format(
            settled=row.settled, count=rules.raise_after)
    elif row.late:
        row.reason = _("{late} of {settled} paid late (down at {share})").format(
            late=row.late, settled=row.settled, share=f"{rules.lower_late_share:.0%}")
    else:
        row.reason = _("{amount} overdue {days} days").format(amount=_yuan(row.overdue), days=row.days_overdue)


def _yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def _plan(items: list, today: dt.date, weeks: int) -> dict[str, list[PlanWeek]]:
    """Per rep: what is overdue now, what falls due in each of the coming ``weeks`` (Monday to
    Sunday, this week first) and later."""
    first = _monday(today)
    plan: dict[str, list[PlanWeek]] = {}
    for r in items:
        rep_weeks = plan.get(r.rep)
        if rep_weeks is None:
            rep_weeks = [PlanWeek("overdue", None, today - dt.timedelta(days=1))]
            for n in range(weeks):
                start = first + dt.timedelta(weeks=n)
                rep_weeks.append(PlanWeek(start.isoformat(), max(start, today) if n == 0 else start,
                                          start + dt.timedelta(days=6)))
            rep_weeks.append(PlanWeek("later", first + dt.timedelta(weeks=weeks), None))
            plan[r.rep] = rep_weeks
        due = r.due or r.date
        if due < today:
            slot = rep_weeks[0]
        elif due >= first + dt.timedelta(weeks=weeks):
            slot = rep_weeks[-1]
        else:
            slot = rep_weeks[1 + (due - first).days // 7]
        slot.items.append(DueItem(r.customer_id, r.name, r.purchase_id, r.date, due, r.amount, r.days_overdue))
        slot.amount += r.amount
    for rep_weeks in plan.values():
        for week in rep_weeks:
            week.items.sort(key=lambda i: (i.due, -i.amount, i.customer_id))
    return dict(sorted(plan.items(), key=lambda kv: (-sum(w.amount for w in kv[1]), kv[0])))
