"""Today: the day's list of reminders, by group (complaints due, payments overdue,
key-account visits, birthdays and holidays, greetings and surveys, keeping in touch), each
group cut to what one person finishes in a day; ``w`` shows the whole week instead.

The reminders come from ``kehu_core.reminder_engine`` (which runs every plugin's rules, lapses
missed ones and groups them), computed on the app's reports thread; marking one done or
snoozing it is recorded there too, so the CLI (``kehu reminders --day-list``) sees the same list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header

from kehu_core.errors import KehuError
from kehu_core.i18n import N_, _, format_day
from kehu_core.left_out import REMINDED

from ..background import saying_errors
from ..messages import CustomerSaved, StoreChanged
from ..widgets.complaints import ComplaintTable, open_complaints
from ..widgets.complaints import move as move_complaint
from ..widgets.left_out import LeftOutNotice
from ..widgets.plain_text import Static
from ..widgets.reminders.table import ReminderTable
from .snooze import SnoozeScreen

if TYPE_CHECKING:
    from kehu_core.store import Store

T = TypeVar("T")
AHEAD_DAYS = 7  # the week view: up to this many days ahead (missed ones until they lapse)


def reminders_module() -> Any:
    """``kehu_core.reminder_engine``, or None while it is not installed."""
    try:
        from kehu_core import reminder_engine as reminders
    except ImportError:
        return None
    return reminders


class TodayScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", N_("Back")),
        Binding("x", "done", N_("Done")),
        Binding("s", "snooze", N_("Snooze")),
        Binding("o", "visit_done", N_("Visit outcome")),
        Binding("enter", "open", N_("Open customer")),
        Binding("w", "toggle_week", N_("Today/week")),
        Binding("r", "reload", N_("Reload")),
        Binding("a", "complaint('ack')", N_("Ack complaint")),
        Binding("v", "complaint('resolve')", N_("Resolve complaint")),
    ]
    COMMANDS_HERE = [("done", N_("Mark the reminder done")), ("snooze", N_("Snooze the reminder")),
                     ("visit_done", N_("Record a visit to this customer and how it went (拜访结果)"))]

    def __init__(self, store: Store, today: dt.date) -> None:
        super().__init__()
        self.store = store
        self.today = today
        self.week = False
        self._shown = False  # a list is on screen
        self._summary = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="today-status")
        yield ComplaintTable(id="today-complaints", classes="card")
        yield ReminderTable(id="reminders")
        yield LeftOutNotice(REMINDED, id="left-out")  # as `kehu reminders --day-list` says
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("today {isoformat}").format(isoformat=format_day(self.today))
        self.query_one(ComplaintTable).border_title = _("Open complaints · a ack · v resolve")
        self.query_one(ReminderTable).focus()  # before it is loading: then it takes no focus
        self.load()

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        end = self.today + dt.timedelta(days=AHEAD_DAYS if self.week else 0)
        return self.today, end

    def load(self) -> None:
        """Compute the reminders off the screen's thread (seconds on a big store: every rule
        of every plugin for every customer); the table shows a loading indicator the first
        time, and keeps the old list with "updating…" in the status line after that."""
        status = self.query_one("#today-status", Static)
        self.query_one(LeftOutNotice).show_for(self.store)
        module = reminders_module()
        if module is None:
            status.update(Text(_("Reminders are not available: kehu_core.reminder_engine is not installed."),
                               style="bold red"))
            return
        if self._shown:
            status.update(_("{summary} · updating…").format(summary=self._summary))
        else:
            self.query_one(ReminderTable).loading = True
            status.update(_("computing the reminders…"))
        if getattr(self.app, "rebuilding", False):  # the reminders wait for it (Background.index_ready)
            status.update(_("rebuilding the index…"))
        self._compute(module, *self.window)

    @work(group="today", exclusive=True, exit_on_error=False)
    async def _compute(self, module: Any, start: dt.date, end: dt.date) -> None:
        status = self.query_one("#today-status", Static)
        table = self.query_one(ReminderTable)
        try:
            complaints = await self._run(open_complaints)
            self.query_one(ComplaintTable).show(complaints)
            found = await self._run(module.due_reminders, start, end)
        except KehuError as exc:
            table.loading = False
            status.update(Text(str(exc), style="bold red"))
            return
        if self.week:
            found = module.by_group(found)
            counts = [(g, n, n) for g, n in module.group_counts(found)]
            waiting = 0
        else:
            work = module.day_list(found, self.today)
            found, counts, waiting = work.reminders, work.counts, work.waiting
        table.show(found, self.today)
        table.loading = False
        self.query_one(LeftOutNotice).show_for(self.store)  # the index as the reminders found it (dashboard.py)
        if not self._shown:  # while loading it could not hold the focus: give it back, once
            table.focus()
        self.refresh_bindings()  # the footer shows the table's keys again, not the screen's
        self._shown = True
        late = sum(1 for r in found if r.due < self.today)
        span = _("up to {isoformat}").format(isoformat=end.isoformat()) if self.week else _("today's list")
        more = _(" · {waiting} more wait for another day").format(waiting=waiting) if waiting else ""
        self._summary = _("{found} reminders {span} · {late} overdue{more}").format(
            found=len(found), span=span, late=late, more=more)
        groups = " · ".join(f"{g.title()} {shown}" + (f"/{total}" if total > shown else "")
                            for g, shown, total in counts)
        status.update(_("{summary} · w today/week · x done · s snooze · Enter opens the customer").format(
            summary=self._summary)
                      + (f"\n{groups}" if groups else ""))

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(store, *args)`` on the app's reports thread (inline without one)."""
        reports = getattr(self.app, "reports", None)
        if reports is None:
            return fn(self.store, *args)
        return await reports.run(fn, *args)

    def _selected(self) -> Any:
        reminder = self.query_one(ReminderTable).selected
        if reminder is None:
            self.notify(_("no reminder selected"), severity="warning")
        return reminder

    def action_done(self) -> None:
        module = reminders_module()
        reminder = self._selected()
        if module is None or reminder is None:
            return
        try:
            module.mark_done(self.store, reminder.key)
        except KehuError as exc:
            self.notify(_("not marked done: {exc}").format(exc=exc), severity="error")
            return
        self.notify(_("done: {name} · {title}").format(name=reminder.customer_name, title=reminder.title))
        self.query_one(ReminderTable).forget(reminder.key)
        self.app.broadcast(CustomerSaved(reminder.customer_id))  # type: ignore[attr-defined]

    def action_visit_done(self) -> None:
        """A visit to the selected reminder's customer and how it went."""
        reminder = self._selected()
        if reminder is not None:
            self.app.record_visit(reminder.customer_id, reminder.customer_name)  # type: ignore[attr-defined]

    @work(exclusive=True, group="snooze")
    @saying_errors
    async def action_snooze(self) -> None:
        module = reminders_module()
        reminder = self._selected()
        if module is None or reminder is None:
            return
        until = await self.app.push_screen_wait(SnoozeScreen(reminder.title, self.today,
                                                                reminder.customer_name))
        if until is None:
            return
        try:
            module.snooze(self.store, reminder.key, until)
        except KehuError as exc:
            self.notify(_("not snoozed: {exc}").format(exc=exc), severity="error")
            return
        self.notify(_("snoozed until {isoformat}: {name}").format(
            isoformat=until.isoformat(), name=reminder.customer_name))
        self.app.broadcast(CustomerSaved(reminder.customer_id))  # type: ignore[attr-defined]

    def action_complaint(self, verb: str) -> None:
        """Acknowledge or resolve a complaint (kehu_core.complaints.move): the one a selected
        complaint reminder is about, else the one selected in the open complaints."""
        table = self.query_one(ReminderTable)
        reminder = table.selected if table.has_focus else None
        if reminder is not None and reminder.rule == "complaint":
            customer_id, complaint_id = reminder.customer_id, reminder.key.split(":", 2)[2].rsplit("-", 1)[0]
        elif reminder is not None:
            self.notify(_("this reminder is not about a complaint: Tab to the open complaints"),
                        severity="warning")
            return
        else:
            view = self.query_one(ComplaintTable).selected
            if view is None:
                self.notify(_("no open complaint"), severity="warning")
                return
            customer_id, complaint_id = view.customer_id, view.complaint.id
        if move_complaint(self, self.store, customer_id, complaint_id, verb):
            self.app.broadcast(CustomerSaved(customer_id))  # type: ignore[attr-defined]

    def on_data_table_row_selected(self, event: ReminderTable.RowSelected) -> None:
        event.stop()
        if isinstance(event.data_table, ComplaintTable):
            if view := event.data_table.selected:
                self.app.open_customer(view.customer_id)  # type: ignore[attr-defined]
            return
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
