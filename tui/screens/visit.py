"""Record how a visit went (``o`` on a customer or on Today): the TUI's door onto
``kehu visits done`` (:func:`kehu_core.visits.plan.record_visit`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input

from kehu_core.errors import KehuError, RecordError
from kehu_core.i18n import N_, _
from kehu_core.visits.plan import record_visit

from ..widgets.plain_text import Static

if TYPE_CHECKING:
    from kehu_core.store import Store


class VisitDoneScreen(ModalScreen[str | None]):
    """Asks for the outcome; Enter records a visit on the app's day, dismissing with its id."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, store: Store, customer_id: str, customer_name: str, today: dt.date) -> None:
        super().__init__()
        self.store = store
        self.customer_id = customer_id
        self.customer_name = customer_name
        self.today = today

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="visit-dialog"):
            yield Static(Text(_("Visit outcome: {name}, {today}").format(
                name=self.customer_name, today=self.today), style="bold"),
                         classes="dialog-title")
            yield Input(id="visit-outcome", placeholder=_("what was talked about, what was agreed"))
            yield Static("", classes="form-error", id="visit-error")
            yield Static(Text(_("Enter records the visit · Esc cancels"), style="dim"))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            visit = record_visit(self.store, self.customer_id, event.value, self.today)
        except RecordError as exc:  # the problem alone, as the purchase form says it: the
            # record's path (".../interactions/(new):1:") names a file that does not exist
            self._error("; ".join(p.message for p in exc.problems))
            return
        except KehuError as exc:
            self._error(str(exc))
            return
        self.dismiss(visit.id)

    def _error(self, text: str) -> None:
        self.query_one("#visit-error", Static).update(Text(f"✗ {text}"))

    def action_cancel(self) -> None:
        self.dismiss(None)
