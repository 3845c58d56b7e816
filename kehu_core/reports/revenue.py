"""``kehu report revenue`` and the dashboard chart: revenue by month."""


from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta

from ..errors import KehuError
from ..i18n import _

if TYPE_CHECKING:
    from ..store import Store

from .common import (
    ZERO,
    to_money,
)

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
        raise KehuError(_("months: expected at least 1, got {months}").format(months=months))
    first = today.replace(day=1) - relativedelta(months=months - 1)
    end = today + dt.timedelta(days=1)
    labels = [(first + relativedelta(months=i)).strftime("%Y-%m") for i in range(months)]
    totals = dict.fromkeys(labels, ZERO)
    counts = dict.fromkeys(labels, 0)
    for purchase in store.index.purchases(first.isoformat(), end.isoformat()):
        month = purchase["date"][:7]
        totals[month] += to_money(purchase.get("amount"))
        counts[month] += 1
    rows = [MonthRevenue(m, totals[m], counts[m]) for m in labels]
    return RevenueReport(today, rows, sum((r.revenue for r in rows), ZERO))
