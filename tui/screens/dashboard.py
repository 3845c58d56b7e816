"""Dashboard: tier pyramid, revenue by month, hot and slow products, receivables, and the
supervisor's review per rep (``w`` switches week / month / quarter, ``o`` one rep or all);
``c`` and ``f`` open the credit and referrals reports (``screens/reports.py``).

The dashboard computes nothing: every figure comes from the one function that owns it, the
one the CLI prints — the tier distribution from the tiering plugin (``tiers.distribution``,
``kehu tier --json``), revenue by month, products and receivables from
``kehu_core.reports`` (``kehu report revenue|products|receivables|reps --json``). The
functions below only pick the period and shape the result for a card. On a big store the
figures take seconds, so they are computed on the app's reports thread (a store of its own)
and each card fills in when its figure is ready; the screen stays usable meanwhile, and a
reload supersedes a computation still running.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Footer, Header

from kehu_core import reports as analytics
from kehu_core.i18n import N_, _, format_day
from kehu_core.left_out import COUNTED
from kehu_core.names import shown

from .. import formatting
from ..messages import CustomerSaved, StoreChanged
from ..widgets.dashboard.charts import BarChart, ProductBars, TierPyramid, TierRow
from ..widgets.dashboard.reps import RepsCard
from ..widgets.left_out import LeftOutNotice

if TYPE_CHECKING:
    from kehu_core.reports.reps import RepsReport
    from kehu_core.store import Store

MONTHS = 12  # kehu report revenue's default
PRODUCT_PERIOD = "90d"  # kehu report products' default
TIERING = "tiering"
T = TypeVar("T")
#: the tiering plugin's schemes, as a person reads them (kehu.yaml keeps the name)
SCHEMES = {"pyramid": N_("pyramid"), "abc": N_("ABC"), "rfm": N_("RFM")}
Bar = tuple[str, Decimal, str]  # label, amount, note


class DashboardScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", N_("Back")),
        Binding("r", "reload", N_("Reload")),
        Binding("w", "next_period", N_("Week/month/quarter")),
        Binding("o", "next_rep", N_("Rep")),
        Binding("c", "credit", N_("Credit")),
        Binding("f", "referrals", N_("Referrals")),
    ]

    def __init__(self, store: Store, today: dt.date) -> None:
        super().__init__()
        self.store = store
        self.today = today
        self._shown = False  # the first figures are on screen
        self.unit = "week"  # the reps card's period
        self.rep: str | None = None  # the reps card shows one rep (None: all)
        self._reps: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Grid(id="dashboard"):
            yield TierPyramid(id="pyramid", classes="card")
            yield BarChart(_("Revenue by month (thousand CNY)"), label_every=2, id="revenue", classes="card")
            yield ProductBars(id="products", classes="card")
            yield BarChart(_("Receivables by days overdue (thousand CNY)"), id="receivables", classes="card")
            yield RepsCard(id="reps", classes="card")
        yield LeftOutNotice(COUNTED, id="left-out")  # as `kehu report` says after each report
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("dashboard as of {isoformat}").format(isoformat=format_day(self.today))
        self.query_one("#pyramid").border_title = _("Tier pyramid")
        self.query_one("#revenue").border_title = _("Revenue by month")
        self.query_one("#products").border_title = _("Hot and slow sellers ({period})").format(
            period=PRODUCT_PERIOD)
        self.query_one("#receivables").border_title = _("Receivables")
        self.query_one("#reps").border_title = _("Reps review")
        self.load()

    def load(self) -> None:
        """Compute the figures off the screen's thread; each card shows its own when ready.

        The first time, the cards show a loading indicator; a reload keeps the figures on
        screen and says "updating" in the header until the new ones are in."""
        self.query_one(LeftOutNotice).show_for(self.store)
        cards = list(self.query(".card"))
        if not self._shown:
            for card in cards:
                card.loading = True
        else:
            self.sub_title = _("dashboard as of {isoformat} · updating…").format(isoformat=format_day(self.today))
        if getattr(self.app, "rebuilding", False):  # the figures wait for it (Background.index_ready)
            self.sub_title = _("dashboard as of {isoformat}").format(isoformat=format_day(self.today)) \
                + " · " + _("rebuilding the index…")
        # after the screen is drawn: the work competes with the drawing for the interpreter
        self.call_after_refresh(self._compute)

    @work(group="dashboard", exclusive=True, exit_on_error=False)
    async def _compute(self) -> None:
        # fastest first, so that something is on screen soon on a big store
        steps = (
            ("#pyramid", tier_figures, self._show_pyramid),
            ("#receivables", analytics.receivables_report, self._show_receivables),
            ("#products", products_figures, self._show_products),
            ("#revenue", revenue_figures, self._show_revenue),
            ("#reps", reps_figures, self._show_reps),
        )
        for selector, figures, show in steps:
            card = self.query_one(selector)
            try:
                args = (self.today, self.unit, self.rep) if selector == "#reps" else (self.today,)
                result = await self._run(figures, *args)
            except Exception as exc:  # one card failing must not take the others with it
                card.loading = False
                self.notify(f"{card.border_title}: {exc}", severity="error")
                continue
            show(result)
            card.loading = False
        self._shown = True
        self.sub_title = _("dashboard as of {isoformat}").format(isoformat=format_day(self.today))
        # again once the figures are in: making them brought the index up to date (files changed
        # before the app opened), and the line read before them could miss what they left out
        self.query_one(LeftOutNotice).show_for(self.store)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(store, *args)`` on the app's reports thread (inline without one)."""
        reports = getattr(self.app, "reports", None)
        if reports is None:
            return fn(self.store, *args)
        return await reports.run(fn, *args)

    @property
    def loading_cards(self) -> list[str]:
        """The ids of the cards still waiting for their first figures."""
        return [card.id or "" for card in self.query(".card") if card.loading]

    def _show_pyramid(self, figures: tuple[str, list[TierRow]] | None) -> None:
        pyramid = self.query_one(TierPyramid)
        if figures is None:
            pyramid.show_disabled()
            return
        window, rows = figures
        pyramid.border_subtitle = window
        pyramid.show(rows)

    def _show_revenue(self, months: tuple[list[str], list[float]]) -> None:
        self.query_one("#revenue", BarChart).show(*months)

    def _show_products(self, figures: tuple[Decimal, list[Bar], list[Bar]]) -> None:
        self.query_one(ProductBars).show(*figures)

    def _show_receivables(self, report: analytics.ReceivablesReport) -> None:
        chart = self.query_one("#receivables", BarChart)
        chart.border_subtitle = _("total {total} · {items} unpaid").format(
            total=formatting.money(report.total), items=len(report.items))
        chart.show([_(analytics.BUCKET_LABELS.get(name, name)) for name in report.buckets],
                   [round(float(b["amount"]) / 1000, 1) for b in report.buckets.values()])

    def _show_reps(self, report: RepsReport) -> None:
        if self.rep is None:
            self._reps = [r.rep for r in report.reps]  # what `o` steps through
        self.query_one(RepsCard).show(report)

    def action_next_period(self) -> None:
        units = ("week", "month", "quarter")
        self.unit = units[(units.index(self.unit) + 1) % len(units)]
        self.load()

    def action_next_rep(self) -> None:
        """All reps, then each rep in turn (the supervisor looks at one), then all again."""
        names: list[str | None] = [None, *self._reps]
        self.rep = names[(names.index(self.rep) + 1) % len(names)] if self.rep in names else None
        self.load()

    def action_credit(self) -> None:
        """``kehu report credit`` on a screen of its own (a table too wide for a card)."""
        self.app.action_credit()  # type: ignore[attr-defined]

    def action_referrals(self) -> None:
        self.app.action_referrals()  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()

    def on_store_changed(self, event: StoreChanged) -> None:
        self.load()

    def on_customer_saved(self, event: CustomerSaved) -> None:
        self.load()


# --- the figures: run on the reports thread, with its own store -------------------------


def tier_figures(store: Store, today: dt.date) -> tuple[str, list[TierRow]] | None:
    """The tiering plugin's distribution, as ``kehu tier --json`` gives it on the store's day:
    (scheme and window, [(tier, customers, revenue, revenue share)] top tier first); None
    when the plugin is disabled (or not installed)."""
    if TIERING not in store.plugins.names():
        return None
    try:
        from kehu_plugins.tiering.tiers import distribution
    except ImportError:
        return None
    data = distribution(store, listed=0)  # the counts and sums alone: no customer's row
    scheme = _(SCHEMES[data["scheme"]]) if data["scheme"] in SCHEMES else data["scheme"]
    window = f"{scheme} · {data['window']['start']} .. {data['window']['end']}"
    rows = [(str(shown(d["tier"], store)), d["customers"], Decimal(d["revenue"]), d["revenue_share"])
            for d in data["distribution"]]
    return window, rows


def revenue_figures(store: Store, today: dt.date) -> tuple[list[str], list[float]]:
    """``analytics.revenue_by_month`` for the last ``MONTHS`` months: labels (YY-MM) and
    revenue in thousand CNY."""
    report = analytics.revenue_by_month(store, today, MONTHS)
    return [m.month[2:] for m in report.months], [round(float(m.revenue) / 1000, 1) for m in report.months]


def products_figures(store: Store, today: dt.date) -> tuple[Decimal, list[Bar], list[Bar]]:
    """Revenue of the period and its six hottest and six slowest products."""
    report = analytics.products_report(store, analytics.Period.ending(today, PRODUCT_PERIOD))
    hot = [(p.name, p.revenue, _change(p.revenue_change)) for p in report.hot[:6]]
    slow = [(p.name, p.revenue, _change(p.revenue_change)) for p in report.slow[:6]]
    return report.revenue, hot, slow


def reps_figures(store: Store, today: dt.date, unit: str, rep: str | None) -> RepsReport:
    """``kehu report reps`` for the calendar ``unit`` holding ``today`` (one rep, or all)."""
    from kehu_core.reports.reps import reps_report

    return reps_report(store, today, unit, rep)


def _change(percent: float | None) -> str:
    if percent is None:
        return "new"
    return f"{percent:+.0f}%"
