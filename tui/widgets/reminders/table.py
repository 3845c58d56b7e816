"""Reminders as a table: one row per reminder, keyed by its stable key."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

RULE_LABELS = {
    "greeting": "问候", "survey": "回访", "birthday": "生日", "holiday": "节日",
    "visit": "拜访", "overdue": "催款", "dormant": "唤醒",
}


class ReminderTable(DataTable):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.reminders: dict[str, Any] = {}

    def on_mount(self) -> None:
        self.add_column("Due", key="due", width=10)
        self.add_column("Customer", key="customer", width=16)
        self.add_column("Rule", key="rule", width=14)
        self.add_column("What", key="title", width=34)
        self.add_column("Detail", key="detail")

    def show(self, reminders: list[Any], today: dt.date) -> None:
        selected = self.selected_key
        self.clear()
        self.reminders = {r.key: r for r in reminders}
        for r in sorted(reminders, key=lambda r: (r.due, r.customer_name, r.key)):
            style = "bold red" if r.due < today else "bold" if r.due == today else ""
            label = RULE_LABELS.get(r.rule, "")
            self.add_row(
                Text(r.due.isoformat(), style=style), r.customer_name,
                f"{label} {r.rule}".strip(), r.title, r.detail or "", key=r.key,
            )
        if selected in self.reminders:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value

    @property
    def selected(self) -> Any:
        key = self.selected_key
        return self.reminders.get(key) if key else None
