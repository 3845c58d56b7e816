"""The dashboard's card of the supervisor's review (``kehu report reps``): one line per rep,
each figure with its change from the previous period. It draws what
:func:`kehu_core.reports.reps.reps_report` computed; nothing is computed here."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from kehu_core.reports.reps import Figure, RepsReport

#: (figure, second figure shown after a slash or None, column title): one line per rep
COLUMNS = (
    ("customers", None, "客户"), ("cards_updated", None, "卡更新"), ("completeness", None, "完整%"),
    ("visits", "visits_planned", "拜访/计划"), ("calls", None, "电话"), ("sales", None, "销售"),
    ("collection_rate", None, "回款%"), ("overdue", None, "逾期"), ("complaints_open", None, "未结投诉"),
    ("reminders_done", "reminders_missed", "提醒 完成/错过"),
)


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"{float(value) / 1000:,.1f}k" if abs(value) >= 1000 else f"{float(value):,.0f}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def cell(figure: Figure, second: Figure | None = None) -> Text:
    """``12 ▲3``: the value (``/`` the second one's), and its change in green (up) or red (down)."""
    text = Text(_value(figure.value) + ("" if second is None else f"/{_value(second.value)}"))
    change = figure.change
    if change is not None and float(change) != 0:
        up = float(change) > 0
        amount = _value(abs(change) if not isinstance(change, float) else abs(change))
        text.append(f" {'▲' if up else '▼'}{amount}", style="green" if up else "red")
    return text


class RepsCard(Static):
    """Per rep: customers, cards updated and complete, visits against planned, sales,
    collections, overdue, complaints and reminders, with their changes."""

    def show(self, report: RepsReport) -> None:
        table = Table(box=None, padding=(0, 1), header_style="bold", expand=True)
        table.add_column("业务员 Rep", no_wrap=True)
        for *_, title in COLUMNS:
            table.add_column(title, justify="right", no_wrap=True)
        rows = [(Text(r.rep), r.figures) for r in report.reps]
        if len(report.reps) > 1:
            rows.append((Text("合计 all", style="bold"), report.total))
        for name, figures in rows:
            table.add_row(name, *[cell(figures[key], figures[other] if other else None)
                                  for key, other, _ in COLUMNS])
        self.border_subtitle = (f"{report.unit} {report.period.label()} vs {report.previous.label()}"
                                " · w: week/month/quarter · o: rep")
        self.update(table if report.reps else Text("no reps yet", style="dim"))
