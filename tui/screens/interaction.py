"""Add a purchase or an interaction in a few keystrokes (``p`` or ``i`` on a customer).

``p``, the item, Tab, the price, Enter: saved. The record is validated by the same model the
store uses before ``store.add_interaction`` writes it (which also lets plugins award points);
a purchase goes through ``kehu_core.services.payments.record_purchase`` as ``kehu purchase
add`` does, and its Paid box starts as kehu.yaml's ``purchases: default_paid`` says. A sale on
credit over the customer's credit limit is refused there with the figures; a reason typed in
Over limit lets it through (``--over-limit`` of the CLI).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Select

from kehu_core.clock import read_day
from kehu_core.credit import OverLimitError
from kehu_core.errors import KehuError, RecordError
from kehu_core.i18n import N_, _
from kehu_core.models import INTERACTION_KINDS, parse_interaction, text_missing
from kehu_core.models.typed_lists import typed_list
from kehu_core.money import NotPlainDigits, amount_text
from kehu_core.problems import validation_problems
from kehu_core.services import payments

from .. import formatting
from ..widgets.customer.timeline import kind_label
from ..widgets.forms.field import FormField
from ..widgets.plain_text import Static

if TYPE_CHECKING:
    from kehu_core.models import Customer
    from kehu_core.store import Store

# field name, label, kinds it belongs to (empty: every kind), hint
FIELDS: list[tuple[str, str, tuple[str, ...], str]] = [
    ("date", N_("Date"), (), "YYYY-MM-DD"),
    ("item", N_("Item"), ("purchase",), "龙井茶礼盒"),
    ("qty", N_("Qty"), ("purchase",), "1"),
    ("price", N_("Price"), ("purchase",), "1288"),
    ("amount", N_("Amount"), ("purchase",), N_("default: qty × price")),
    ("gifts", N_("Gifts"), ("purchase",), "青瓷茶杯, 茶巾"),
    ("due", N_("Due"), ("purchase",), N_("YYYY-MM-DD, for credit sales")),
    ("paid", N_("Paid"), ("purchase",), ""),
    ("over_limit", N_("Over limit"), ("purchase",), N_("why a sale on credit may go over the credit limit")),
    ("text", N_("Text"), (), N_("what happened")),
    ("channel", N_("Channel"), ("message",), "wechat, sms, email"),
    ("status", N_("Status"), ("complaint",), N_("open or resolved")),
    ("resolution", N_("Resolution"), ("complaint",), ""),
    ("rating", N_("Rating"), ("feedback",), "1-5"),
    ("by", N_("By"), (), N_("the rep")),
]


def _typed_day(text: str) -> str:
    """A day as typed, read as every door reads one (``clock.read_day``: ``2026/11/1``, full-width
    digits); one it cannot read as typed, which :meth:`AddInteractionScreen._errors` names."""
    day = read_day(text)
    return text if isinstance(day, str) else day.isoformat()


def _typed_amount(text: str) -> str:
    """An amount as typed, read as every door reads one (``money.amount_text``); one in another
    script's digits as typed, which the model then names at its field (``money.number_text``)."""
    try:
        return amount_text(text)
    except NotPlainDigits:
        return text


class AddInteractionScreen(ModalScreen[str | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save")),
        Binding("escape", "cancel", N_("Cancel")),
        # Tab moves at once, before the keys typed after it are handed to a field: fast or
        # burst typing (``安吉白茶 250g`` Tab ``3360``) lands in the right fields.
        Binding("tab", "focus_next_field", show=False, priority=True),
        Binding("shift+tab", "focus_previous_field", show=False, priority=True),
    ]

    def __init__(self, store: Store, customer: Customer, kind: str | None, today: dt.date) -> None:
        """``customer`` as read by the caller, who says why when it cannot be read (gone in a
        colleague's merge, broken by hand): the form would have read it as it was drawn, where
        its failure ended the app."""
        super().__init__()
        self.store = store
        self.customer = customer
        self.customer_id = customer.id
        self.kind = kind or "visit"
        self.today = today

    def compose(self) -> ComposeResult:
        customer = self.customer
        with Vertical(classes="dialog", id="interaction-dialog"):
            yield Static(Text(_("{name}: new record").format(name=customer.name), style="bold"),
                         classes="dialog-title")
            yield Select([(kind_label(k), k) for k in INTERACTION_KINDS], value=self.kind,
                         allow_blank=False, id="kind")
            with VerticalScroll(id="interaction-fields", can_focus=False):
                for name, label, _kinds, hint in FIELDS:
                    initial = {"date": self.today.isoformat(), "by": customer.owner or ""}.get(name, "")
                    if name == "paid":
                        initial = "yes" if payments.default_paid(self.store) else ""
                    yield FormField(name, _(label), initial, hint=_(hint), checkbox=name == "paid")
                yield Static(Text(_paid_default(self.store), style="dim"), id="paid-default")
            yield Static(id="interaction-error", classes="form-error")
            yield Static(Text(_("Enter or ctrl+s saves · Esc cancels"), style="dim"))

    def on_mount(self) -> None:
        self._show_fields()
        first = "item" if self.kind == "purchase" else "text"
        self.query_one(f"#field-{first}").focus()

    def action_focus_next_field(self) -> None:
        self.focus_next()

    def action_focus_previous_field(self) -> None:
        self.focus_previous()

    @on(Select.Changed, "#kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        self.kind = str(event.value)
        self._show_fields()

    def _show_fields(self) -> None:
        for name, _label, kinds, _hint in FIELDS:
            self.query_one(f"#row-{name}", FormField).display = not kinds or self.kind in kinds
        self.query_one("#paid-default").display = self.kind == "purchase"

    def _value(self, name: str) -> str:
        return self.query_one(f"#row-{name}", FormField).value.strip()

    def data(self) -> dict[str, Any]:
        """The record as the store takes it, from what is typed (empty fields left out)."""
        data: dict[str, Any] = {"kind": self.kind, "date": _typed_day(self._value("date"))}
        for name in ("text", "by"):
            if value := self._value(name):
                data[name] = value
        if self.kind == "purchase":
            if item := self._value("item"):
                line: dict[str, Any] = {"name": item, "qty": self._value("qty") or "1"}
                if price := self._value("price"):
                    line["price"] = _typed_amount(price)
                data["items"] = [line]
            if amount := self._value("amount"):
                data["amount"] = _typed_amount(amount)
            gifts = typed_list(self._value("gifts"))
            if gifts:
                data["gifts"] = gifts
            if due := self._value("due"):
                data["due"] = _typed_day(due)
            data["paid"] = self._value("paid") == "yes"
        elif self.kind == "message" and (channel := self._value("channel")):
            data["channel"] = channel
        elif self.kind == "complaint":
            if status := self._value("status"):
                data["status"] = status
            if resolution := self._value("resolution"):
                data["resolution"] = resolution
        elif self.kind == "feedback" and (rating := self._value("rating")):
            data["rating"] = rating
        return data

    def _errors(self, data: dict[str, Any]) -> dict[str, str]:
        if (missing := text_missing(self.kind, data.get("text"))) is not None:
            return {"text": missing}  # a stray Enter saved an empty visit
        if self.kind == "purchase" and not data.get("items") and (self._value("qty") or self._value("price")):
            # data() keeps a qty and a price only with an item: typed alone they were dropped and
            # the sale saved without them (`purchase add --price` without --item is refused too)
            return {"item": _("a qty and a price belong to an item: name the item, or clear them")}
        # a day is refused in the words of every door (read_day), not the model's or Python's
        days = {name: day for name in ("date", "due") if isinstance(day := read_day(str(data.get(name, ""))), str)
                and (name == "date" or name in data)}
        if days:
            return days
        try:
            parse_interaction({**data, "id": "new"})
        except ValidationError as exc:
            errors: dict[str, str] = {}
            for problem in validation_problems(exc, "(new)"):
                errors.setdefault(_field_of(list(problem.loc), bool(data.get("items"))), problem.reason)
            return errors
        try:  # the store's one rule on dates (kehu_core.store.Store.check_not_future)
            self.store.check_not_future(dt.date.fromisoformat(str(data["date"])), _("{kind} date").format(
                kind=self.kind))
        except KehuError as exc:
            return {"date": formatting.refused(exc)}
        return {}

    def action_save(self) -> None:
        data = self.data()
        errors = self._errors(data)
        for name, *_rest in FIELDS:
            self.query_one(f"#row-{name}", FormField).set_error(errors.get(name))
        if errors:
            first = next(name for name, *_ in FIELDS if name in errors)
            self.query_one(f"#field-{first}").focus()
            return
        try:
            if self.kind == "purchase":
                paid = data.pop("paid")
                record: Any = payments.record_purchase(self.store, self.customer_id, data, paid=paid,
                                                       over_limit=self._value("over_limit") or None)
            else:
                record = self.store.add_interaction(self.customer_id, data)
        except RecordError as exc:
            self._error("; ".join(p.message for p in exc.problems))
            return
        except KehuError as exc:
            self._error(formatting.refused(exc))
            if isinstance(exc, OverLimitError):
                self.query_one("#field-over_limit").focus()
            return
        what = formatting.money(getattr(record, "amount", None)) or formatting.interaction_summary(record)
        terms = f", {payments.terms(record)}" if self.kind == "purchase" else ""
        self.app.notify(_("saved {kind} {isoformat} {what}").format(
            kind=record.kind, isoformat=record.date.isoformat(), what=what).strip() + terms)
        self.dismiss(record.id)

    def _error(self, message: str) -> None:
        self.query_one("#interaction-error", Static).update(Text(_("✗ Not saved: {message}").format(message=message)))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_cancel(self) -> None:
        self.dismiss(None)


def _paid_default(store: Store) -> str:
    """Says what kehu.yaml makes of a purchase when nobody says (as `kehu purchase add`)."""
    cfg = store.config.purchases
    if cfg.default_paid:
        return _("kehu.yaml: new purchases are paid (uncheck Paid for a sale on credit)")
    due = _(", due in {days} days unless Due says").format(days=cfg.credit_days) if cfg.credit_days is not None else ""
    return _("kehu.yaml: new purchases are on credit{due} (check Paid when paid now)").format(due=due)


def _field_of(loc: list[Any], has_items: bool) -> str:
    """Which form field a validation error belongs to."""
    if not loc:  # a whole-record rule: a purchase needs an amount or prices
        return "price" if has_items else "amount"
    head = str(loc[0])
    if head == "items":
        return {"name": "item", "qty": "qty", "price": "price"}.get(str(loc[-1]), "item")
    if head == "gifts":
        return "gifts"
    return head if head in {n for n, *_ in FIELDS} else "text"
