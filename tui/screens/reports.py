"""The supervisor's reports that need a screen of their own, opened from the dashboard (``c``,
``f``) or the command palette: credit and collections (``kehu report credit``) and referrals
(``kehu report referrals``).

Like the dashboard, these screens compute nothing: each asks the one function the CLI prints
(:func:`kehu_core.reports.credit.credit_report`, :func:`kehu_core.reports.referrals.referrals_report`)
on the app's reports thread (a store of its own), shows a loading indicator the first time, and
computes again after a change to the store. Enter on a row opens that customer.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header

from kehu_core.i18n import N_, _, format_day
from kehu_core.left_out import COUNTED

from ..messages import CustomerSaved, StoreChanged
from ..widgets.dashboard.credit import CollectionPlan, CreditTable
from ..widgets.dashboard.credit import summary as credit_summary
from ..widgets.dashboard.referrals import ReferralTree, ReferrersTable
from ..widgets.dashboard.referrals import summary as referrals_summary
from ..widgets.left_out import LeftOutNotice
from ..widgets.plain_text import Static

if TYPE_CHECKING:
    from kehu_core.reports.credit import CreditReport
    from kehu_core.reports.referrals import ReferralsReport
    from kehu_core.store import Store


class ReportScreen(Screen):
    """A report computed on the reports thread, drawn by :meth:`show`."""

    BINDINGS = [
        Binding("escape", "back", N_("Back")),
        Binding("r", "reload", N_("Reload")),
        Binding("enter", "open", N_("Open customer"), show=False),
    ]
    TITLE_TEXT = ""  # the sub-title, with {day}: marked for the catalog by each screen

    def __init__(self, store: Store, today: dt.date) -> None:
        super().__init__()
        self.store = store
        self.today = today
        self.report: Any = None  # the last one shown

    def on_mount(self) -> None:
        self.sub_title = self.heading()
        self.load()

    def heading(self) -> str:
        return _(self.TITLE_TEXT).format(day=format_day(self.today))

    def figures(self, store: Store) -> Any:
        """The report, on the reports thread (``store``: that thread's)."""
        raise NotImplementedError

    def show(self, report: Any) -> None:
        raise NotImplementedError

    @property
    def loading_views(self) -> list[str]:
        return [w.id or "" for w in self.query(".report") if w.loading]

    def load(self) -> None:
        self.query_one(LeftOutNotice).show_for(self.store)
        if self.report is None:
            for view in self.query(".report"):
                view.loading = True
        else:
            self.sub_title = self.heading() + " · " + _("updating…")
        self.call_after_refresh(self._compute)

    @work(group="report", exclusive=True, exit_on_error=False)
    async def _compute(self) -> None:
        try:
            reports = getattr(self.app, "reports", None)
            report = self.figures(self.store) if reports is None else await reports.run(self.figures)
        except Exception as exc:  # a broken record must not take the screen down: say it
            self.notify(str(exc), severity="error")
            report = None
        for view in self.query(".report"):
            view.loading = False
        if report is not None:
            self.report = report
            self.show(report)
        self.sub_title = self.heading()
        self.query_one(LeftOutNotice).show_for(self.store)  # the index as the figures found it (dashboard.py)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()

    def action_open(self) -> None:
        table = self.focused if isinstance(self.focused, DataTable) else next(iter(self.query(DataTable)), None)
        if table is None or not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key:
            self.app.open_customer(str(key))  # type: ignore[attr-defined]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.open_customer(str(event.row_key.value))  # type: ignore[attr-defined]

    def on_store_changed(self, event: StoreChanged) -> None:
        self.load()

    def on_customer_saved(self, event: CustomerSaved) -> None:
        self.load()


class CreditScreen(ReportScreen):
    """``kehu report credit [--owner REP]``: how each customer pays, the suggested limit and
    why, and the collection plan per rep; ``o`` steps through the reps."""

    BINDINGS = [*ReportScreen.BINDINGS, Binding("o", "next_rep", N_("Rep"))]
    TITLE_TEXT = N_("credit on {day}")

    def __init__(self, store: Store, today: dt.date) -> None:
        super().__init__(store, today)
        self.rep: str | None = None  # one rep's customers (None: all)
        self._reps: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="credit-summary", classes="report")
        yield CreditTable(id="credit-customers", classes="report")
        yield Static(id="credit-why")  # the selected customer's reason, whole
        yield CollectionPlan(id="credit-plan", classes="card report")
        yield LeftOutNotice(COUNTED, id="left-out")  # as `kehu report credit` says
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#credit-customers").border_title = _("Per customer")
        self.query_one("#credit-plan").border_title = _("Collection plan")
        super().on_mount()

    def heading(self) -> str:
        rep = _("all reps") if self.rep is None else self.rep
        return super().heading() + f" · {rep} · " + _("o: rep")

    def figures(self, store: Store) -> CreditReport:
        from kehu_core.reports.credit import credit_report

        return credit_report(store, self.today, self.rep)

    def show(self, report: CreditReport) -> None:
        if self.rep is None:  # what `o` steps through: every rep with customers or money due
            self._reps = sorted({c.rep for c in report.customers} | set(report.plan))
        self.query_one("#credit-summary", Static).update(credit_summary(report))
        self.query_one(CreditTable).show(report)
        self.query_one(CollectionPlan).show(report)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The reason of the selected customer in full (the column is cut on a narrow screen)."""
        found = next((c for c in (self.report.customers if self.report else [])
                      if c.customer_id == event.row_key.value), None)
        self.query_one("#credit-why", Static).update(
            "" if found is None else f"{found.name}: {found.reason}")

    def action_next_rep(self) -> None:
        names: list[str | None] = [None, *self._reps]
        self.rep = names[(names.index(self.rep) + 1) % len(names)] if self.rep in names else None
        self.load()


class ReferralsScreen(ReportScreen):
    """``kehu report referrals``: the totals, each referrer with conversion, revenue, points
    and thanks owed, and the tree of who brought whom."""

    TITLE_TEXT = N_("referrals on {day}")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="referrals-summary", classes="report")
        yield ReferrersTable(id="referrers", classes="report")
        with VerticalScroll(id="referral-tree-box", classes="card"):
            yield ReferralTree(id="referral-tree", classes="report")
        yield LeftOutNotice(COUNTED, id="left-out")  # as `kehu report referrals` says
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#referrers").border_title = _("Referrers")
        self.query_one("#referral-tree-box").border_title = _("Who brought whom")
        super().on_mount()

    def figures(self, store: Store) -> ReferralsReport:
        from kehu_core.reports.referrals import referrals_report

        return referrals_report(store, self.today)

    def show(self, report: ReferralsReport) -> None:
        self.query_one("#referrals-summary", Static).update(referrals_summary(report))
        self.query_one(ReferrersTable).show(report)
        self.query_one(ReferralTree).show(report)
