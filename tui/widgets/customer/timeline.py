"""Purchases and interactions of one customer, newest first."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from ... import formatting

KIND_LABELS = {
    "purchase": "购买 purchase", "visit": "拜访 visit", "call": "电话 call",
    "message": "消息 message", "complaint": "投诉 complaint", "feedback": "反馈 feedback",
    "note": "备注 note",
}


class Timeline(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_column("Date", key="date", width=10)
        self.add_column("Kind", key="kind", width=14)
        self.add_column("What", key="what", width=30)
        self.add_column("Amount", key="amount", width=11)
        self.add_column("State", key="state", width=10)

    def show(self, interactions: list[Any]) -> None:
        self.clear()
        for record in reversed(interactions):
            self.add_row(
                record.date.isoformat(),
                KIND_LABELS.get(record.kind, record.kind),
                formatting.interaction_summary(record),
                Text(formatting.money(getattr(record, "amount", None)), justify="right"),
                _state(record),
                key=record.id,
            )


def _state(record: Any) -> Text:
    if record.kind == "purchase":
        if record.voided is not None:
            return Text("voided", style="dim strike")
        if record.paid:
            return Text("paid", style="green")
        due = f" {record.due.isoformat()[5:]}" if record.due else ""
        if record.payments:  # part paid: what is still owed
            return Text(f"owes {formatting.money(record.owed)}{due}", style="bold red")
        return Text(f"unpaid{due}", style="bold red")
    if record.kind == "complaint":
        return Text(record.status, style="green" if record.status in ("resolved", "closed") else "bold red")
    if record.kind == "feedback" and record.rating:
        return Text("★" * record.rating)
    return Text("")
