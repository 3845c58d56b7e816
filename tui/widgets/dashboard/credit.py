"""The credit report's views (``kehu report credit``): a table of customers with how they pay
and the suggested limit, and the collection plan per rep by week. They draw what
:func:`kehu_core.reports.credit.credit_report` computed; nothing is computed here."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from kehu_core.i18n import N_, _, format_day

from ..plain_table import PlainTable
from ..plain_text import Static

if TYPE_CHECKING:
    from kehu_core.reports.credit import CreditReport

#: the customer table's columns: (key, title marked for the catalog, a figure: right-aligned)
COLUMNS = (
    ("name", N_("Customer"), False), ("rep", N_("Rep"), False), ("limit", N_("Limit"), True),
    ("outstanding", N_("Owed"), True), ("overdue", N_("Overdue"), True), ("days_overdue", N_("Days"), True),
    ("on_time", N_("On time"), True), ("late", N_("Late"), True), ("suggestion", N_("Suggest"), False),
    ("suggested_limit", N_("New limit"), True), ("reason", N_("Why"), False),
)
SUGGESTIONS = {"up": ("▲ ", N_("raise"), "green"), "down": ("▼ ", N_("lower"), "red"), "keep": ("= ", N_("keep"), "")}


def amount(value: Decimal | None) -> str:
    """As ``kehu report credit`` prints it: 1,234.00, or - for no limit."""
    return "-" if value is None else f"{float(value):,.2f}"


def suggestion(name: str) -> Text:
    mark, word, style = SUGGESTIONS[name]
    return Text(mark + _(word), style=style)


class CreditTable(PlainTable):
    """One row per customer (key: the customer id; Enter opens them)."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for key, title, _figure in COLUMNS:
            self.add_column(_(title), key=key)

    def show(self, report: CreditReport) -> None:
        self.clear()
        for c in report.customers:
            cells = {
                "name": c.name, "rep": c.rep, "limit": amount(c.limit), "outstanding": amount(c.outstanding),
                "overdue": amount(c.overdue), "days_overdue": str(c.days_overdue or ""), "on_time": str(c.on_time),
                "late": str(c.late), "suggestion": suggestion(c.suggestion),
                "suggested_limit": amount(c.suggested_limit), "reason": c.reason,
            }
            self.add_row(*[Text(v, justify="right") if figure and isinstance(v, str) else v
                           for (key, _title, figure) in COLUMNS for v in (cells[key],)], key=c.customer_id)


def summary(report: CreditReport) -> Text:
    """The report's first line: owed, overdue, the suggestions, the window."""
    counts = report.suggestions
    return Text(_("{outstanding} owed, {overdue} overdue · {down} to lower, {up} to raise, {keep} to keep · "
                  "payments since {start}").format(
        outstanding=amount(report.outstanding), overdue=amount(report.overdue), down=counts.get("down", 0),
        up=counts.get("up", 0), keep=counts.get("keep", 0), start=format_day(report.window.start)))


class CollectionPlan(Static):
    """Per rep: what is overdue now, what falls due each coming week, and later."""

    def show(self, report: CreditReport) -> None:
        if not report.plan:
            self.update(Text(_("nothing to collect"), style="dim"))
            return
        first = next(iter(report.plan.values()))
        table = Table(box=None, padding=(0, 1), header_style="bold", expand=True)
        table.add_column(_("Rep"), no_wrap=True)
        for week in first:
            title = {"overdue": _("overdue now"), "later": _("later")}.get(week.label, week.label[5:])
            table.add_column(title, justify="right", no_wrap=True)
        for rep, weeks in report.plan.items():
            table.add_row(Text(rep), *[Text(amount(w.amount), style="bold red" if w.label == "overdue" and w.amount
                                      else "dim" if not w.amount else "") for w in weeks])
        self.update(table)
