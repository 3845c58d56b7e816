"""Report maths over the index: revenue by month, products, ABC/Pareto, RFM, lifecycle, churn, receivables.

Every function here is pure with respect to output: it reads the store's index and returns
dataclasses (``as_json`` turns them into plain JSON values). Nothing prints, so the CLI
(``kehu report``) and the TUI dashboard show the very same figures.

Dates: a report runs "as of" a day (``today``), which is included. Periods are half-open
``[start, end)`` internally; :class:`Period` shows them with an inclusive last day.
Tier maths (pyramid, ABC, RFM) comes from :mod:`kehu_core.services.scoring`, shared
with the tiering plugin, so the same customer can never be "A" in one place and "B" in another.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta

from ..errors import KehuError
from .scoring import abc_classes, activity, pyramid, rfm

if TYPE_CHECKING:
    from ..store import Store

ZERO = Decimal(0)
CENT = Decimal("0.01")
NO_ITEMS = "(未分项 no items)"

# lifecycle stages, in the order reports show them
PROSPECT, NEW, ACTIVE, DORMANT, CHURNED = "prospect", "new", "active", "dormant", "churned"
STAGES = (PROSPECT, NEW, ACTIVE, DORMANT, CHURNED)
NOT_YET = "not_yet"  # the customer was not in the store yet on that day

RECEIVABLE_BUCKETS = ("not_due", "0-30", "31-60", "61-90", "90+")


# --- settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """``reports:`` in kehu.yaml. Days are "within the last N days" (today counts as day 1)."""

    new_days: int = 90  # first purchase this recent: new
    active_days: int = 90  # last purchase this recent: active
    churn_days: int = 180  # no purchase for this long: churned (in between: dormant)
    clv_years: float = 3.0  # how many more years an active customer is expected to buy
    margin: float = 1.0  # gross margin applied to CLV (1.0: CLV in revenue)

    @classmethod
    def of(cls, store: Store) -> Settings:
        """Read and check ``reports:``; a bad value is a KehuError naming kehu.yaml."""
        raw = (store.config.model_extra or {}).get("reports") or {}
        if not isinstance(raw, dict):
            raise KehuError("kehu.yaml reports: expected a mapping of settings")
        fields = {f.name: f.type for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - set(fields))
        if unknown:
            raise KehuError(
                f"kehu.yaml reports: unknown setting(s) {', '.join(unknown)}; "
                f"expected {', '.join(fields)}"
            )
        for key, value in raw.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise KehuError(f"kehu.yaml reports.{key}: {value!r}: expected a number above 0")
        values = cls(**raw)
        if values.active_days > values.churn_days:
            raise KehuError("kehu.yaml reports: active_days must not be more than churn_days")
        return values


# --- periods --------------------------------------------------------------------------------

_SPAN_RE = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.I)


def parse_span(text: str) -> relativedelta:
    """``90d``, ``12w``, ``6m``, ``1y`` → a relativedelta (months and years are calendar ones)."""
    match = _SPAN_RE.match(str(text))
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"period {text!r}: expected a number and a unit, like 90d, 12w, 6m or 1y")
    n, unit = int(match.group(1)), match.group(2).lower()
    return {
        "d": relativedelta(days=n), "w": relativedelta(weeks=n),
        "m": relativedelta(months=n), "y": relativedelta(years=n),
    }[unit]


@dataclass(frozen=True)
class Period:
    """Days ``start`` (included) up to ``end`` (excluded)."""

    start: dt.date
    end: dt.date

    @property
    def last(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - dt.timedelta(days=self.days), self.start)

    def label(self) -> str:
        return f"{self.start.isoformat()} – {self.last.isoformat()}"

    @classmethod
    def ending(cls, today: dt.date, span: str) -> Period:
        """The ``span`` (e.g. ``90d``) ending with ``today`` included."""
        end = today + dt.timedelta(days=1)
        return cls(end - parse_span(span), end)

    @classmethod
    def between(cls, since: dt.date, until: dt.date) -> Period:
        """From ``since`` to ``until``, both included."""
        if until < since:
            raise ValueError(f"--until {until} is before --since {since}")
        return cls(since, until + dt.timedelta(days=1))


# --- small helpers --------------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _pct(part: Decimal | float, whole: Decimal | float) -> float:
    return round(float(part) / float(whole) * 100, 1) if whole else 0.0


def _change(now: Decimal | float, before: Decimal | float) -> float | None:
    """Percent change; ``None`` when there was nothing before (a new product, say)."""
    if not before:
        return None
    return round((float(now) - float(before)) / float(before) * 100, 1)


@dataclass
class CustomerInfo:
    id: str
    name: str
    owner: str | None
    level: str | None
    tags: list[str]
    created: dt.date | None
    do_not_contact: bool = False


def customers(store: Store) -> dict[str, CustomerInfo]:
    """The few profile fields reports show, straight from the index (no model validation)."""
    out = {}
    tags = store.index.tags_by_customer()
    for cid, name, owner, level, created, dnc in store.index.profile_summaries():
        out[cid] = CustomerInfo(
            cid, name, owner, level, tags.get(cid, []),
            dt.date.fromisoformat(created) if created else None, dnc,
        )
    return out


def first_purchases(store: Store, end: dt.date | None = None) -> dict[str, dt.date]:
    """Each buyer's first purchase date (purchases before ``end`` only)."""
    rows = store.index.first_purchases(end.isoformat() if end else None)
    return {cid: dt.date.fromisoformat(first) for cid, first in rows.items()}


def as_json(value: Any) -> Any:
    """Dataclasses, Decimals and dates → plain JSON values (money as numbers with 2 decimals).

    A :class:`Period` is ``{"start", "end", "days"}`` with ``end`` the last day included, the
    days the text form shows (``2026-08-23 – 2026-11-20``), never the excluded day after."""
    if isinstance(value, Period):
        return {"start": value.start.isoformat(), "end": value.last.isoformat(), "days": value.days}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, Decimal):
        return float(value.quantize(CENT))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def dumps(value: Any) -> str:
    return json.dumps(as_json(value), ensure_ascii=False, indent=2)


# --- revenue by month -----------------------------------------------------------------------


@dataclass
class MonthRevenue:
    month: str  # YYYY-MM
    revenue: Decimal
    purchases: int


@dataclass
class RevenueReport:
    today: dt.date
    months: list[MonthRevenue]  # oldest first; the last one is today's month, up to today
    total: Decimal


def revenue_by_month(store: Store, today: dt.date, months: int = 12) -> RevenueReport:
    """Revenue (purchase amounts) of each calendar month, the last ``months`` months up to
    ``today`` included: ``kehu report revenue`` and the TUI dashboard's chart."""
    if months < 1:
        raise KehuError(f"months: expected at least 1, got {months}")
    first = today.replace(day=1) - relativedelta(months=months - 1)
    end = today + dt.timedelta(days=1)
    labels = [(first + relativedelta(months=i)).strftime("%Y-%m") for i in range(months)]
    totals = dict.fromkeys(labels, ZERO)
    counts = dict.fromkeys(labels, 0)
    for purchase in store.index.purchases(first.isoformat(), end.isoformat()):
        month = purchase["date"][:7]
        totals[month] += _money(purchase.get("amount"))
        counts[month] += 1
    rows = [MonthRevenue(m, totals[m], counts[m]) for m in labels]
    return RevenueReport(today, rows, sum((r.revenue for r in rows), ZERO))


# --- products (热销 / 滞销) ------------------------------------------------------------------


def line_revenue(purchase: dict[str, Any]) -> list[tuple[str, Decimal, Decimal]]:
    """``(product, units, revenue)`` per line of a purchase, the lines adding up to its amount.

    When every line has a price, the amount is shared in proportion to qty × price (so a
    discount on the whole sale lowers each line alike); otherwise in proportion to qty.
    A purchase without items counts as one unit of :data:`NO_ITEMS`.
    """
    amount = _money(purchase.get("amount"))
    items = purchase.get("items") or []
    if not items:
        return [(NO_ITEMS, Decimal(1), amount)]
    qtys = [Decimal(str(i.get("qty", 1))) for i in items]
    if all(i.get("price") is not None for i in items):
        weights = [q * Decimal(str(i["price"])) for q, i in zip(qtys, items, strict=True)]
    else:
        weights = qtys
    total = sum(weights, ZERO)
    out = []
    shared = ZERO
    for pos, (item, qty, weight) in enumerate(zip(items, qtys, weights, strict=True)):
        if pos == len(items) - 1:
            revenue = amount - shared  # the last line takes the rounding remainder
        else:
            revenue = (amount * weight / total).quantize(CENT) if total else ZERO
            shared += revenue
        out.append((str(item["name"]), qty, revenue))
    return out


@dataclass
class ProductRow:
    name: str
    revenue: Decimal
    units: Decimal
    buyers: int
    orders: int
    share: float  # percent of the period's revenue
    abc: str  # ABC class among products by revenue (scoring.abc_classes)
    status: str  # 热销 (class A), 滞销 (class C, or sold before and not in the period), or ""
    prev_revenue: Decimal
    prev_units: Decimal
    prev_buyers: int
    revenue_change: float | None  # percent vs the previous period; None: not sold before
    units_change: float | None
    last_sold: dt.date | None  # the last sale up to the period's end (before it, if none in it)


@dataclass
class ProductsReport:
    period: Period
    previous: Period
    revenue: Decimal
    prev_revenue: Decimal
    products: list[ProductRow]

    @property
    def hot(self) -> list[ProductRow]:
        return [p for p in self.products if p.status == "热销"]

    @property
    def slow(self) -> list[ProductRow]:
        return [p for p in self.products if p.status == "滞销"]


def _product_totals(store: Store, period: Period) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"revenue": ZERO, "units": ZERO, "buyers": set(), "orders": 0, "last": None}
    )
    for purchase in store.index.purchases(period.start.isoformat(), period.end.isoformat()):
        day = dt.date.fromisoformat(purchase["date"])
        for name, units, revenue in line_revenue(purchase):
            row = out[name]
            row["revenue"] += revenue
            row["units"] += units
            row["buyers"].add(purchase["customer_id"])
            row["orders"] += 1
            row["last"] = max(row["last"] or day, day)
    return out


def _last_sold(store: Store, before: dt.date) -> dict[str, dt.date]:
    """Every product sold before ``before``, with the last day it sold."""
    out: dict[str, dt.date] = {}
    for purchase in store.index.purchases(None, before.isoformat()):
        day = dt.date.fromisoformat(purchase["date"])  # in date order: the last one wins
        for name, _, _ in line_revenue(purchase):
            out[name] = day
    return out


_EMPTY_PRODUCT: dict[str, Any] = {
    "revenue": ZERO, "units": ZERO, "buyers": frozenset(), "orders": 0, "last": None,
}


def products_report(store: Store, period: Period) -> ProductsReport:
    """Products by revenue, units and buyers in ``period``, against the period before.

    热销 (hot) are the products of ABC class A by revenue in the period: together they bring
    the first 80 % of it. 滞销 (slow) are class C, plus every product the shop has sold before
    the period that did not sell at all in it (however long ago: a product last sold 400 days
    ago is the slowest of all), with the day it last sold.
    """
    previous = period.previous()
    now = _product_totals(store, period)
    before = _product_totals(store, previous)
    earlier = _last_sold(store, period.start)
    names = set(now) | set(before) | set(earlier)
    revenue = {n: now[n]["revenue"] if n in now else ZERO for n in names}
    classes = abc_classes(revenue)
    total = sum(revenue.values(), ZERO)
    rows = []
    for name in names:
        cur = now.get(name) or _EMPTY_PRODUCT
        old = before.get(name) or _EMPTY_PRODUCT
        abc = classes[name]
        status = "热销" if abc == "A" else "滞销" if abc == "C" else ""
        rows.append(ProductRow(
            name=name, revenue=cur["revenue"], units=cur["units"], buyers=len(cur["buyers"]),
            orders=cur["orders"], share=_pct(cur["revenue"], total), abc=abc, status=status,
            prev_revenue=old["revenue"], prev_units=old["units"], prev_buyers=len(old["buyers"]),
            revenue_change=_change(cur["revenue"], old["revenue"]),
            units_change=_change(cur["units"], old["units"]),
            last_sold=cur["last"] or earlier.get(name),
        ))
    rows.sort(key=lambda r: (-r.revenue, -r.units, r.name))
    prev_total = sum((before[n]["revenue"] for n in before), ZERO)
    return ProductsReport(period, previous, total, prev_total, rows)


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
        per_class[name] = {"customers": len(members), "revenue": money, "share": _pct(money, total)}
    curve = []
    running, pos = ZERO, 0
    for decile in range(1, 11):
        upto = math.ceil(n * decile / 10)
        while pos < upto:
            running += revenue[ranked[pos]]
            pos += 1
        curve.append(_pct(running, total))
    return ParetoSnapshot(period, n, total, top, _pct(top_revenue, total), per_class, curve)


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
            now[cid], _pct(now[cid], total), cls_now[cid], cls_before.get(cid, "-"),
            before.get(cid, ZERO),
        )
        for cid in sorted(now, key=lambda c: (-now[c], c))
    ]
    return AbcReport(
        _snapshot(period, now, cls_now), _snapshot(previous, before, cls_before), movements, rows,
    )


# --- lifecycle and RFM ----------------------------------------------------------------------


def stages(store: Store, day: dt.date, settings: Settings | None = None) -> dict[str, str]:
    """Each customer's lifecycle stage on ``day`` (purchases up to and including it).

    prospect: never bought; new: first purchase within the last ``new_days``; active: last
    purchase within ``active_days``; dormant: within ``churn_days``; churned: longer ago.
    A customer created after ``day`` who had not bought by then is ``not_yet``.
    """
    s = settings or Settings.of(store)
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
    settings = Settings.of(store)
    now, then = stages(store, today, settings), stages(store, since, settings)
    order = [NOT_YET, *STAGES]
    movements = {a: dict.fromkeys(STAGES, 0) for a in order}
    moved = []
    info = customers(store)
    for cid, stage in now.items():
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
    settings = Settings.of(store)
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
        seg["share"] = _pct(seg["revenue"], total)
    counts = Counter(stage_of.values())
    return RfmReport(
        today, settings, dict(sorted(segments.items(), key=lambda kv: -kv[1]["revenue"])),
        {s: counts.get(s, 0) for s in STAGES}, rows,
    )


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
    settings = Settings.of(store)
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
    return _money(round(store.index.revenue_between(cid, first.isoformat(), last.isoformat()), 2))


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
            due_day, _money(round(amount, 2)), overdue, age_bucket(overdue),
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
