"""Reminders as a table: one row per reminder, keyed by its stable key.

A big store has tens of thousands of reminders due in a week; the DataTable measures every
cell it is given, so rows are put on screen a few screenfuls at a time as the user scrolls.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.text import Text

from kehu_core.i18n import N_, _

from ..plain_table import PlainTable

SHOW = 100  # rows put on screen at a time

RULE_LABELS = {
    "greeting": N_("greeting"), "survey": N_("survey"), "birthday": N_("birthday"), "holiday": N_("holiday"),
    "visit": N_("visit"), "overdue": N_("payment due"), "dormant": N_("win back"),
    "complaint": N_("complaint"), "touch": N_("keep in touch"), "lunar-birthday": N_("lunar birthday"),
}
GROUP_NAMES = {  # kehu_core.reminder_engine.GROUPS, short enough for a column
    "complaints": N_("complaints"), "payments": N_("payments"), "visits": N_("visits"),
    "occasions": N_("occasions"), "follow_ups": N_("follow-ups"),
    "contact": N_("contact"), "other": N_("other"),
}
GROUP_NUMBERS = {key: i for i, key in enumerate(GROUP_NAMES, start=1)}


def group_name(group: str) -> str:
    if group not in GROUP_NAMES:
        return group
    return f"{GROUP_NUMBERS[group]} {_(GROUP_NAMES[group])}"


class ReminderTable(PlainTable):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.reminders: dict[str, Any] = {}
        self._order: list[Any] = []  # every reminder, in the order given and shown
        self._today: dt.date | None = None  # set by show(): the day the reminders are for
        self._adding = False

    def on_mount(self) -> None:
        self.add_column(_("Group"), key="group", width=16)
        self.add_column(_("Due"), key="due", width=10)
        self.add_column(_("Customer"), key="customer", width=16)
        self.add_column(_("Rule"), key="rule", width=14)
        self.add_column(_("What"), key="title", width=34)
        self.add_column(_("Detail"), key="detail")

    def show(self, reminders: list[Any], today: dt.date) -> None:
        selected = self.selected_key
        self._today = today
        self.reminders = {r.key: r for r in reminders}
        self._order = list(reminders)  # kehu_core.reminder_engine sorts them, as the CLI shows them
        # after the new list is set: clear() moves the cursor, whose watcher adds rows of _order
        self.clear()
        wanted = SHOW
        if selected in self.reminders:  # keep the cursor where it was, even far down
            wanted = max(wanted, next(i for i, r in enumerate(self._order) if r.key == selected) + 1)
        self._show_more(wanted)
        if selected in self.reminders:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    def _show_more(self, count: int = SHOW) -> None:
        if self._adding:
            return  # adding a row can move the cursor, whose watcher asks for more
        self._adding = True
        try:
            self._add_rows(count)
        finally:
            self._adding = False

    def _add_rows(self, count: int) -> None:
        for r in self._order[self.row_count:self.row_count + count]:
            style = "bold red" if r.due < self._today else "bold" if r.due == self._today else ""
            label = _(RULE_LABELS[r.rule]) if r.rule in RULE_LABELS else ""
            group = getattr(r, "group", None) or "other"
            self.add_row(
                group_name(group), Text(r.due.isoformat(), style=style), r.customer_name,
                label or r.rule, r.title, r.detail or "", key=r.key,
            )

    def forget(self, key: str) -> None:
        """Take a reminder off the list at once (done): the recomputed list follows later."""
        if key not in self.reminders:
            return
        del self.reminders[key]
        self._order = [r for r in self._order if r.key != key]
        self.remove_row(key)
        if self.row_count < len(self._order) and self.row_count < SHOW:
            self._show_more(1)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        near_the_end = new_value + self.size.height * 2 >= self.row_count
        if near_the_end and self.row_count < len(self._order):
            self._show_more()

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:
        super().watch_cursor_coordinate(old, new)
        if new.row >= self.row_count - 5 and self.row_count < len(self._order):
            self._show_more()

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value

    @property
    def selected(self) -> Any:
        key = self.selected_key
        return self.reminders.get(key) if key else None
