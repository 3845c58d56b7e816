"""Open complaints as a table (the customer screen and Today), and moving one along.

The states, deadlines and moves are ``kehu_core.complaints`` (what ``kehu complaint`` calls):
``a`` acknowledges the selected complaint, ``v`` resolves it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from kehu_core import complaints as cp
from kehu_core.errors import KehuError
from kehu_core.i18n import N_, _

from .plain_table import PlainTable

if TYPE_CHECKING:
    from textual.screen import Screen

    from kehu_core.store import Store

STATE_LABELS = {"open": N_("open"), "acknowledged": N_("acknowledged"),
                "resolved": N_("resolved"), "closed": N_("closed")}
VERB_DONE = {"ack": "acknowledged", "resolve": "resolved", "close": "closed"}


def state_label(state: str) -> str:
    return _(STATE_LABELS[state]) if state in STATE_LABELS else state


def open_complaints(store: Store, customer_id: str | None = None) -> list[cp.ComplaintView]:
    """Complaints not yet resolved, the most urgent first (of one customer, or of everyone)."""
    return cp.complaints(store, open_only=True, customer_id=customer_id)


def _row_key(view: cp.ComplaintView) -> str:
    return f"{view.customer_id}/{view.complaint.id}"


class ComplaintTable(PlainTable):
    """One row per open complaint: customer, state, the next deadline (red when overdue)."""

    def __init__(self, *, with_customer: bool = True, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.with_customer = with_customer
        self.views: dict[str, cp.ComplaintView] = {}

    def on_mount(self) -> None:
        if self.with_customer:
            self.add_column(_("Customer"), key="customer", width=12)
        self.add_column(_("Received"), key="date", width=10)
        self.add_column(_("State"), key="state", width=14)
        self.add_column(_("Due"), key="due", width=30)
        self.add_column(_("Handler"), key="handler", width=8)
        self.add_column(_("Complaint"), key="text")

    def show(self, views: list[cp.ComplaintView]) -> None:
        selected = self.selected
        self.clear()
        self.views = {_row_key(v): v for v in views}
        for v in views:
            deadline = v.next_deadline
            what = _("answer by {time}") if v.state == cp.OPEN else _("resolve by {time}")
            due = Text(what.format(time=f"{deadline:%m-%d %H:%M}") if deadline else "",
                       style="bold red" if v.overdue else "")
            if v.overdue:
                due.append(" " + _("overdue"))
            cells = [v.complaint.date.isoformat(), state_label(v.state), due, v.handler or "-",
                     v.complaint.text or ""]
            if self.with_customer:
                cells.insert(0, v.customer_name)
            self.add_row(*cells, key=_row_key(v))
        if selected is not None and _row_key(selected) in self.views:
            self.move_cursor(row=self.get_row_index(_row_key(selected)), animate=False)
        self.display = bool(views)

    @property
    def selected(self) -> cp.ComplaintView | None:
        if not self.views or self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        return self.views.get(str(key))


def move(screen: Screen, store: Store, customer_id: str, complaint_id: str, verb: str) -> bool:
    """Move one complaint along through kehu_core.complaints.move; say what happened."""
    try:
        done = cp.move(store, customer_id, complaint_id, verb)
    except KehuError as exc:
        screen.notify(_("not {state}: {error}").format(state=state_label(VERB_DONE[verb]), error=exc),
                      severity="error", timeout=10)
        return False
    screen.notify(_("complaint {state}: {name} · {text}").format(
        state=state_label(VERB_DONE[verb]), name=done.customer_name, text=done.complaint.text or ""))
    return True
