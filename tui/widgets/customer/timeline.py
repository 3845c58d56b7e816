"""Purchases and interactions of one customer, newest first."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from kehu_core.i18n import _
from kehu_core.labels import kind_label

from ... import formatting
from ..plain_table import PlainTable


class Timeline(PlainTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_column(_("Date"), key="date", width=10)
        self.add_column(_("Kind"), key="kind", width=14)
        self.add_column(_("What"), key="what", width=30)
        self.add_column(_("Amount"), key="amount", width=11)
        self.add_column(_("State"), key="state", width=10)

    def show(self, interactions: list[Any]) -> None:
        self.clear()
        for record in reversed(interactions):
            self.add_row(
                record.date.isoformat(),
                kind_label(record.kind),
                formatting.interaction_summary(record),
                Text(formatting.money(getattr(record, "amount", None)), justify="right"),
                _state(record),
                key=record.id,
            )


def _state(record: Any) -> Text:
    if record.kind == "purchase":
        if record.voided is not None:
            return Text(_("voided"), style="dim strike")
        if record.paid:
            return Text(_("paid"), style="green")
        due = f" {record.due.isoformat()[5:]}" if record.due else ""
        if record.payments:  # part paid: what is still owed
            return Text(_("owes {amount}").format(amount=formatting.money(record.owed)) + due, style="bold red")
        return Text(_("unpaid") + due, style="bold red")
    if record.kind == "complaint":
        from ..complaints import state_label

        return Text(state_label(record.status),
                    style="green" if record.status in ("resolved", "closed") else "bold red")
    if record.kind == "feedback" and record.rating:
        return Text("★" * record.rating)
    return Text("")
