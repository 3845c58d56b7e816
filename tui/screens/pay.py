"""Record a payment towards a purchase on credit (``$`` on a purchase row of the timeline).

The same function as ``kehu purchase pay`` does the work (kehu_core.services.payments.pay):
an empty amount pays all that is owed, more than is owed is refused with the figures.
"""

from __future__ import annotations

from decimal import InvalidOperation
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input

from kehu_core.clock import read_day
from kehu_core.errors import KehuError
from kehu_core.i18n import N_, _
from kehu_core.models import Purchase
from kehu_core.money import amount_text, typed_amount  # the purchase form's rule for typed money too
from kehu_core.services import payments

from .. import formatting
from ..widgets.plain_text import Static

if TYPE_CHECKING:
    from kehu_core.models import Customer
    from kehu_core.store import Store


class PayScreen(ModalScreen[str | None]):
    """Amount (empty: the rest) and date (default: today); Enter records, Esc cancels.
    Dismissed with what was recorded, as a line to show."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, store: Store, customer: Customer, purchase: Purchase) -> None:
        super().__init__()
        self.store = store
        self.customer = customer  # read by the caller, who says why if it cannot be
        self.customer_id = customer.id
        self.purchase = purchase

    def compose(self) -> ComposeResult:
        p = self.purchase
        customer = self.customer
        with Vertical(classes="dialog", id="pay-dialog"):
            yield Static(Text(_("{name}: payment for {isoformat} ¥{amount}").format(
                name=customer.name, isoformat=p.date.isoformat(), amount=p.amount), style="bold"),
                         classes="dialog-title")
            yield Static(_("paid so far ¥{amount} · owed ¥{owed}").format(
                amount=p.paid_amount, owed=p.owed), id="pay-owed")
            yield Input("", placeholder=_("amount (empty: all ¥{owed})").format(owed=p.owed), id="pay-amount")
            yield Input(self.store.today.isoformat(), placeholder=_("YYYY-MM-DD"), id="pay-date")
            yield Static("", classes="form-error", id="pay-error")
            yield Static(Text(_("Enter records the payment · Esc cancels"), style="dim"))

    def on_mount(self) -> None:
        self.query_one("#pay-amount", Input).focus()

    def _error(self, message: str) -> None:
        self.query_one("#pay-error", Static).update(Text(f"✗ {message}"))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        typed = self.query_one("#pay-amount", Input).value
        date_text = self.query_one("#pay-date", Input).value.strip()
        try:  # another script's digits or an underscore: no amount either (money.number_text)
            typed = amount_text(typed)
            amount = typed_amount(typed) if typed else None  # -0 is 0; nothing rounded
        except InvalidOperation:
            self._error(_("{text!r} is not an amount; expected a number like 500").format(text=typed))
            return
        day = read_day(date_text) if date_text else None  # the CLI's one spelling of a day
        if isinstance(day, str):
            self._error(day)
            return
        try:
            done = payments.pay(self.store, self.customer_id, self.purchase.id, amount=amount, date=day)
        except KehuError as exc:
            self._error(formatting.refused(exc))
            return
        p = done.purchase
        state = _("paid in full") if done.settled else _("¥{owed} still owed").format(owed=p.owed)
        self.dismiss(_("¥{amount} paid ({state})").format(amount=done.payment['amount'], state=state))

    def action_cancel(self) -> None:
        self.dismiss(None)
