"""Dashboard: tier pyramid, revenue by month, hot and slow products, receivables.

Every figure comes from ``kehu_core`` (``services.segmentation`` for the pyramid,
``services.analytics`` for products and receivables), so the dashboard and
``kehu report`` always agree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Footer, Header

from kehu_core.services import analytics, segmentation

from .. import formatting
from ..messages import CustomerSaved, StoreChanged
from ..widgets.dashboard.charts import BarChart, ProductBars, TierPyramid

if TYPE_CHECKING:
    from kehu_core.store import Store

MONTHS = 12
PRODUCT_PERIOD = "90d"


class DashboardScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self, store: Store, today: dt.date) -> None:
        super().__init__()
        self.store = store
        self.today = today

    def compose(self) -> ComposeResult:
        yield Header()
        with Grid(id="dashboard"):
            yield TierPyramid(id="pyramid", classes="card")
            yield BarChart("Revenue by month (thousand CNY)", label_every=2, id="revenue", classes="card")
            yield ProductBars(id="products", classes="card")
            yield BarChart("Receivables by days overdue (thousand CNY)", id="receivables", classes="card")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"dashboard as of {self.today.isoformat()}"
        self.query_one("#pyramid").border_title = "客户金字塔 Tier pyramid (last 365 days)"
        self.query_one("#revenue").border_title = "月度营业额 Revenue by month"
        self.query_one("#products").border_title = f"热销 / 滞销 Hot and slow products ({PRODUCT_PERIOD})"
        self.query_one("#receivables").border_title = "应收账款 Receivables"
        self.load()

    def load(self) -> None:
        self._pyramid()
        self._revenue()
        self._products()
        self._receivables()

    def _pyramid(self) -> None:
        end = self.today + dt.timedelta(days=1)
        act = segmentation.activity(self.store, end - dt.timedelta(days=365), end)
        revenue = {cid: a.revenue for cid, a in act.items() if a.purchases}
        groups = segmentation.pyramid(revenue)
        tiers = []
        for name in segmentation.PYRAMID_NAMES:
            members = [cid for cid, g in groups.items() if g == name]
            tiers.append((name, len(members), sum((revenue[c] for c in members), Decimal(0))))
        self.query_one(TierPyramid).show(tiers)

    def _revenue(self) -> None:
        first = self.today.replace(day=1) - relativedelta(months=MONTHS - 1)
        end = self.today + dt.timedelta(days=1)
        months = [(first + relativedelta(months=i)).strftime("%Y-%m") for i in range(MONTHS)]
        totals = dict.fromkeys(months, Decimal(0))
        for purchase in self.store.index.purchases(first.isoformat(), end.isoformat()):
            totals[purchase["date"][:7]] += Decimal(str(purchase.get("amount") or 0))
        self.query_one("#revenue", BarChart).show(
            [m[2:] for m in months], [round(float(v) / 1000, 1) for v in totals.values()])

    def _products(self) -> None:
        report = analytics.products_report(
            self.store, analytics.Period.ending(self.today, PRODUCT_PERIOD))
        hot = [(p.name, p.revenue, _change(p.revenue_change)) for p in report.hot[:6]]
        slow = [(p.name, p.revenue, _change(p.revenue_change)) for p in report.slow[:6]]
        self.query_one(ProductBars).show(report.revenue, hot, slow)

    def _receivables(self) -> None:
        report = analytics.receivables_report(self.store, self.today)
        chart = self.query_one("#receivables", BarChart)
        chart.border_subtitle = f"total {formatting.money(report.total)} · {len(report.items)} unpaid"
        chart.show(list(report.buckets), [round(float(b["amount"]) / 1000, 1) for b in report.buckets.values()])

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()

    def on_store_changed(self, event: StoreChanged) -> None:
        self.load()

    def on_customer_saved(self, event: CustomerSaved) -> None:
        self.load()


def _change(percent: float | None) -> str:
    if percent is None:
        return "new"
    return f"{percent:+.0f}%"
