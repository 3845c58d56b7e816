"""One interaction in full (Enter on a timeline row): the timeline cuts its text to a column."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen

from kehu_core.i18n import N_, _
from kehu_core.shown import visible

from .. import formatting
from ..widgets.customer.timeline import kind_label
from ..widgets.plain_text import Static


class RecordScreen(ModalScreen[None]):
    """Every field of the record that is set, long text wrapped; Esc or Enter closes."""

    BINDINGS = [
        Binding("escape", "close", N_("Close")),
        Binding("enter", "close", N_("Close"), show=False),
        Binding("q", "close", N_("Close"), show=False),
    ]

    def __init__(self, customer_name: str, record: Any) -> None:
        super().__init__()
        self.customer_name = customer_name
        self.record = record

    def compose(self) -> ComposeResult:
        record = self.record
        title = f"{self.customer_name} · {record.date.isoformat()} · {kind_label(record.kind)}"
        with Vertical(classes="dialog", id="record-dialog"):
            yield Static(Text(title, style="bold"), classes="dialog-title")
            with VerticalScroll(id="record-scroll"):
                yield Static(_fields(record), id="record-body")
            yield Static(Text(_("Esc or Enter closes"), style="dim"))

    def on_mount(self) -> None:
        self.query_one("#record-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)


def _fields(record: Any) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(_("kind"), kind_label(record.kind))
    for key, value in record.model_dump(mode="python", exclude={"kind"}).items():
        if value in (None, [], "", False):
            continue
        if key == "items":
            shown = formatting.interaction_summary(record)
        elif key == "payments":
            shown = "\n".join(f"{p['date']} {formatting.money(p['amount'])}" + (f" {p['by']}" if p.get("by") else "")
                              for p in value)
        elif key == "history":
            shown = "\n".join(" ".join(str(s[k]) for k in ("at", "state", "by", "text") if s.get(k))
                              for s in value)
        elif key == "amount":
            shown = formatting.money(value)
        else:
            shown = formatting.text(value)
        grid.add_row(Text(key), Text(visible(shown)))  # as every list shows it
    return grid
