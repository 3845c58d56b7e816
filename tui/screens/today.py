"""Today: reminders due (greeting, survey, birthday, holiday, visit, overdue, dormant).

The reminders come from ``kehu_core.reminders`` (which runs every plugin's rules); marking
one done or snoozing it is recorded there too, so the CLI sees the same list.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from kehu_core.errors import KehuError

from ..messages import CustomerSaved, StoreChanged
from ..widgets.reminders.table import ReminderTable
from .snooze import SnoozeScreen

if TYPE_CHECKING:
    from kehu_core.store import Store

OVERDUE_DAYS = 30  # how far back an undone reminder is still shown
AHEAD_DAYS = 7


def reminders_module() -> Any:
    """``kehu_core.reminders``, or None while it is not installed."""
    try:
        from kehu_core import reminders
    except ImportError:
        return None
    return reminders


class TodayScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("x", "done", "Done"),
        Binding("s", "snooze", "Snooze"),
        Binding("enter", "open", "Open customer"),
        Binding("w", "toggle_week", "Today/week"),
        Binding("r", "reload", "Reload"),
    ]
    COMMANDS_HERE = [("done", "Mark the reminder done"), ("snooze", "Snooze the reminder")]

    def __init__(self, store: Store, today: dt.date) -> None:
        super().__init__()
        self.store = store
        self.today = today
        self.week = True

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="today-status")
        yield ReminderTable(id="reminders")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"today {self.today.isoformat()}"
        self.load()
        self.query_one(ReminderTable).focus()

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        end = self.today + dt.timedelta(days=AHEAD_DAYS if self.week else 0)
        return self.today - dt.timedelta(days=OVERDUE_DAYS), end

    def load(self) -> None:
        status = self.query_one("#today-status", Static)
        module = reminders_module()
        if module is None:
            status.update(Text("Reminders are not available: kehu_core.reminders is not "
                               "installed.", style="bold red"))
            return
        start, end = self.window
        try:
            found = module.due_reminders(self.store, start, end)
        except KehuError as exc:
            status.update(Text(str(exc), style="bold red"))
            return
        self.query_one(ReminderTable).show(found, self.today)
        late = sum(1 for r in found if r.due < self.today)
        due = sum(1 for r in found if r.due == self.today)
        span = f"up to {end.isoformat()}" if self.week else "today"
        status.update(f"{len(found)} reminders {span} · {due} due today · {late} overdue · "
                      "x done · s snooze · Enter opens the customer")

    def _selected(self) -> Any:
        reminder = self.query_one(ReminderTable).selected
        if reminder is None:
            self.notify("no reminder selected", severity="warning")
        return reminder

    def action_done(self) -> None:
        module = reminders_module()
        reminder = self._selected()
        if module is None or reminder is None:
            return
        try:
            module.mark_done(self.store, reminder.key)
        except KehuError as exc:
            self.notify(f"not marked done: {exc}", severity="error")
            return
        self.notify(f"done: {reminder.customer_name} · {reminder.title}")
        self.app.broadcast(CustomerSaved(reminder.customer_id))  # type: ignore[attr-defined]

    @work(exclusive=True, group="snooze")
    async def action_snooze(self) -> None:
        module = reminders_module()
        reminder = self._selected()
        if module is None or reminder is None:
            return
        until = await self.app.push_screen_wait(SnoozeScreen(reminder.title, self.today))
        if until is None:
            return
        try:
            module.snooze(self.store, reminder.key, until)
        except KehuError as exc:
            self.notify(f"not snoozed: {exc}", severity="error")
            return
        self.notify(f"snoozed until {until.isoformat()}: {reminder.customer_name}")
        self.app.broadcast(CustomerSaved(reminder.customer_id))  # type: ignore[attr-defined]

    def on_data_table_row_selected(self, event: ReminderTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        if reminder := self._selected():
            self.app.open_customer(reminder.customer_id)  # type: ignore[attr-defined]

    def action_toggle_week(self) -> None:
        self.week = not self.week
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_store_changed(self, event: StoreChanged) -> None:
        self.load()

    def on_customer_saved(self, event: CustomerSaved) -> None:
        self.load()
