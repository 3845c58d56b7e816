"""The dashboard's card of the supervisor's review (``kehu report reps``): one line per rep,
each figure with its change from the previous period. It draws what
:func:`kehu_core.reports.reps.reps_report` computed; nothing is computed here."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from kehu_core.i18n import N_, _

from ..plain_text import Static

if TYPE_CHECKING:
    from kehu_core.reports.reps import Figure, RepsReport

#: (figure, second figure shown after a slash or None, column title): one line per rep
COLUMNS = (  # the titles in English, marked for the catalog: shown through _()
    ("customers", None, N_("customers")), ("cards_updated", None, N_("cards updated")),
    ("completeness", None, N_("complete %")), ("visits", "visits_planned", N_("visits/planned")),
    ("calls", None, N_("calls")), ("sales", None, N_("sales")), ("collection_rate", None, N_("collected %")),
    ("overdue", None, N_("overdue")), ("complaints_open", None, N_("complaints open")),
    ("reminders_done", "reminders_missed", N_("reminders done/missed")),
)

#: the period names the card is shown for (English, marked for the catalog)
UNITS = {"week": N_("week"), "month": N_("month"), "quarter": N_("quarter")}


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
        table.add_column(_("Rep"), no_wrap=True)
        for *_keys, title in COLUMNS:
            table.add_column(_(title), justify="right", no_wrap=True)
        rows = [(Text(r.rep), r.figures) for r in report.reps]
        if len(report.reps) > 1:
            rows.append((Text(_("all"), style="bold"), report.total))
        for name, figures in rows:
            table.add_row(name, *[cell(figures[key], figures[other] if other else None)
                                  for key, other, _title in COLUMNS])
        self.border_subtitle = (_("{unit} {label} vs {label2} · w: week/month/quarter · o: rep").format(
            unit=_(UNITS.get(report.unit, report.unit)), label=report.period.label(), label2=report.previous.label()))
        self.update(table if report.reps else Text(_("no reps yet"), style="dim"))
