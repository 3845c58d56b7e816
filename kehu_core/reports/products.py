"""``kehu report products``: hot and slow products (热销 / 滞销)."""


from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..services.scoring import abc_classes

if TYPE_CHECKING:
    from ..store import Store

from .common import (
    CENT,
    NO_ITEMS,
    ZERO,
    Period,
    percent,
    percent_change,
    to_money,
)

# --- products (热销 / 滞销) ------------------------------------------------------------------


def line_revenue(purchase: dict[str, Any]) -> list[tuple[str, Decimal, Decimal]]:
    """``(product, units, revenue)`` per line of a purchase, the lines adding up to its amount.

    When every line has a price, the amount is shared in proportion to qty × price (so a
    discount on the whole sale lowers each line alike); otherwise in proportion to qty.
    A purchase without items counts as one unit of :data:`NO_ITEMS`.
    """
    amount = to_money(purchase.get("amount"))
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
            orders=cur["orders"], share=percent(cur["revenue"], total), abc=abc, status=status,
            prev_revenue=old["revenue"], prev_units=old["units"], prev_buyers=len(old["buyers"]),
            revenue_change=percent_change(cur["revenue"], old["revenue"]),
            units_change=percent_change(cur["units"], old["units"]),
            last_sold=cur["last"] or earlier.get(name),
        ))
    rows.sort(key=lambda r: (-r.revenue, -r.units, r.name))
    prev_total = sum((before[n]["revenue"] for n in before), ZERO)
    return ProductsReport(period, previous, total, prev_total, rows)
