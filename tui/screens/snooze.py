"""Ask until when a reminder should be snoozed."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input

from kehu_core.clock import day_range_problem, typed_day
from kehu_core.i18n import N_, _
from kehu_core.money import number_text

from ..widgets.plain_text import Static


def parse_until(text: str, today: dt.date) -> dt.date:
    """``2026-12-01``, or ``+3`` / ``3`` for that many days from today; within the dates kehu
    keeps, as ``kehu reminders snooze --until`` (``9999-12-31`` was taken here while the CLI
    refused it, and ``+99999999999`` ended the app with an OverflowError)."""
    text = text.strip()
    try:
        # `+３` (an IME in full-width) as `+3`; `+1_0` and another script's digits no number
        days = number_text(text).removeprefix("+")  # (money.number_text: every door's numbers)
        until = today + dt.timedelta(days=int(days)) if days.isascii() and days.isdigit() \
            else typed_day(text)  # the CLI's one spelling of a day
        if until is None:
            raise ValueError(text)
    except OverflowError:  # past any date Python keeps
        raise ValueError(_("{text!r}: that many days from today is past the dates kehu keeps").format(
            text=text)) from None
    except ValueError:
        raise ValueError(_("{text!r}: expected YYYY-MM-DD or +N (days from today)").format(text=text)) from None
    problem = day_range_problem(until)
    if problem is not None:
        raise ValueError(problem)
    return until


class SnoozeScreen(ModalScreen[dt.date | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, title: str, today: dt.date, customer_name: str = "") -> None:
        super().__init__()
        self.reminder_title = title
        self.customer_name = customer_name  # whose reminder: named in the title
        self.today = today  # the app's day: the reminder engine checks the snooze against it

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="snooze-dialog"):
            whose = f"{self.customer_name}: " if self.customer_name else ""
            yield Static(Text(_("Snooze {whose}“{title}” until").format(
                whose=whose, title=self.reminder_title), style="bold"),
                         classes="dialog-title")
            yield Input((self.today + dt.timedelta(days=1)).isoformat(), id="snooze-until",
                        placeholder=_("YYYY-MM-DD or +N days"))
            yield Static("", classes="form-error", id="snooze-error")
            yield Static(Text(_("Enter snoozes · Esc cancels"), style="dim"))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            until = parse_until(event.value, self.today)
        except ValueError as exc:
            self.query_one("#snooze-error", Static).update(Text(f"✗ {exc}"))
            return
        if until <= self.today:
            self.query_one("#snooze-error", Static).update(Text("✗ " + _("pick a day after today")))
            return
        self.dismiss(until)

    def action_cancel(self) -> None:
        self.dismiss(None)
