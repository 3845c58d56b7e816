"""A purchase (a sale): its items, payments, void and a credit sale let over the limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..i18n import _
from ..money import CENT, MONEY_DIGITS, line_problem
from .customer import Reason
from .fields import COMPOSED, Amount, Day, Flag, Money, Quantity, as_list, shows_something
from .hostile import ONE_LINE, OneLine
from .interaction_base import InteractionBase


class LineItem(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="allow")

    # grouped by the products report: in one spelling, as a tag is (José typed two ways was two)
    name: Annotated[str, Field(min_length=1), ONE_LINE, COMPOSED]
    qty: Quantity = Decimal(1)
    price: Amount | None = None

    @field_validator("name")
    @classmethod
    def _visible_name(cls, value: str) -> str:
        """As a customer's name: an item of spaces or a zero-width space was stored by `purchase
        add --item` (an empty row in the products report), while an import's cell of spaces
        made no item at all."""
        if not shows_something(value):
            raise ValueError(_("expected a name, not only spaces or invisible characters"))
        return value

    @field_validator("price")
    @classmethod
    def _cents(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if value is None:
            return None
        value = value.quantize(CENT)
        # checked on the price, as the qty before it is known here (a bad qty: no check)
        qty = info.data.get("qty")
        problem = None if qty is None else line_problem(qty, value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("qty")
    @classmethod
    def _qty(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError(_("qty must be more than 0"))
        return value.to_integral_value() if value == value.to_integral_value() else value

    @property
    def total(self) -> Decimal | None:
        return None if self.price is None else (self.qty * self.price).quantize(CENT)



class Payment(BaseModel):
    """One payment towards a purchase (``kehu purchase pay``): when, how much, who took it."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    date: Day
    amount: Money = Field(gt=0)
    by: OneLine | None = None

    @field_validator("amount")
    @classmethod
    def _cents(cls, value: Decimal) -> Decimal:
        return value.quantize(CENT)


def voided_cannot_be_paid() -> str:
    """The rule of a void and payments, as every door says it: ``kehu purchase pay`` refusing a
    voided sale, and ``kehu check`` naming one paid after its void."""
    return _("a voided purchase cannot be paid")


class Voided(BaseModel):
    """A purchase taken back (``kehu purchase void``): kept in the history, counted nowhere."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    date: Day
    reason: Reason | None = None
    by: OneLine | None = None


class OverLimit(BaseModel):
    """A credit sale let through over the customer's credit limit (``--over-limit REASON``):
    why, and the figures at the time (see :mod:`kehu_core.credit`)."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    reason: Reason = Field(min_length=1)
    # a limit and what was owed are never below nothing, as the customer's ``credit_limit``
    limit: Amount
    outstanding: Amount  # owed before this sale
    by: OneLine | None = None

    @field_validator("reason")
    @classmethod
    def _says_why(cls, value: str) -> str:
        """A reason that shows something: `--over-limit "  "` is refused ("needs a reason"),
        and a hand edit of spaces or a zero-width space passed `kehu check`, an over-limit
        sale with no why in the credit report."""
        if not shows_something(value):
            raise ValueError(_("expected why the sale may go over the credit limit, not only spaces or invisible "
                               "characters"))
        return value

    @field_validator("limit", "outstanding")
    @classmethod
    def _cents(cls, value: Decimal) -> Decimal:
        return value.quantize(CENT)


def _items_total(items: Iterable[LineItem]) -> Decimal | None:
    """What a purchase's items add up to: its amount when it names none (None if an item has
    no price, or there are none)."""
    totals = [item.total for item in items]
    if not totals or any(t is None for t in totals):
        return None
    return sum(totals, Decimal(0))


def _sale_amount(data: dict[str, Any]) -> Decimal | None:
    """A purchase's amount from the fields validated so far: its ``amount``, else what its
    items add up to (None if that is not known: the purchase is refused for it anyway)."""
    amount = data.get("amount")
    if amount is None:
        amount = _items_total(data.get("items") or ())
    return None if amount is None else Decimal(amount).quantize(CENT)


class Purchase(InteractionBase):
    """A sale. ``paid`` is true once it is settled; ``payments`` are what was paid later
    (a purchase paid at the counter has none); ``voided`` marks a sale taken back."""

    kind: Literal["purchase"] = "purchase"
    items: list[LineItem] = Field(default_factory=list)
    amount: Amount | None = None
    gifts: list[OneLine] = Field(default_factory=list)
    due: Day | None = None
    paid: Flag = False
    payments: list[Payment] = Field(default_factory=list)
    voided: Voided | None = None
    over_limit: OverLimit | None = None

    @field_validator("gifts", mode="before")
    @classmethod
    def _gifts(cls, value: Any) -> Any:
        # a gift of nothing (`--gift ""`, `gifts: ['  ']` by hand) is none, as a blank tag is: the
        # TUI's form and an import's empty cell left it out, `purchase add` stored it, and `customer
        # show` and the exports listed an empty gift
        listed = as_list(value)
        if not isinstance(listed, list):
            return listed
        return [g for g in listed if not (isinstance(g, str) and not g.strip())]

    @field_validator("payments")
    @classmethod
    def _paid_after_the_sale(cls, value: list[Payment], info: ValidationInfo) -> list[Payment]:
        """No payment before the sale: `kehu purchase pay` refuses one, and so does every other
        door (a hand edit passed `check` while the reports counted the money in a period before
        the sale was made)."""
        sale = info.data.get("date")
        early = next((p for p in value if sale is not None and p.date < sale), None)
        if early is not None:
            raise ValueError(_("a payment dated {day} is before the purchase ({date})").format(
                day=early.date, date=sale))
        # nor more paid than the sale's amount (`kehu purchase pay` refuses more than is owed):
        # a hand edit, or two clones each recording the rest as paid, showed a receivable of
        # -100.00 while `check` said ok
        amount = _sale_amount(info.data)
        paid = sum((p.amount for p in value), Decimal(0)).quantize(CENT)
        if amount is not None and paid > amount:
            raise ValueError(_("the payments add up to {paid}, more than the purchase's amount {amount}").format(
                paid=paid, amount=amount))
        # nor settled (`paid: true`) by payments short of the amount: `kehu purchase pay` marks a
        # sale paid only by the payment that leaves nothing owed. A hand edit (or a merge that
        # kept one clone's "paid" and the other's undo of a payment) passed `check`, and the
        # sale owed nothing in `receivables` while the aging as of a day still owed the rest
        if info.data.get("paid") and value and amount is not None and paid < amount:
            raise ValueError(_("paid: true, but the payments add up to {paid}, less than the purchase's amount "
                               "{amount}: record the rest with `kehu purchase pay`, or set paid: false").format(
                paid=paid, amount=amount))
        return value

    @field_validator("due")
    @classmethod
    def _due_after_the_sale(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        """No sale due before it was made: `purchase add --date 2026-12-05 --due 2026-11-01`
        was recorded, and the sale stood 34 days overdue in `receivables` the day it was made."""
        sale = info.data.get("date")
        if value is not None and sale is not None and value < sale:
            raise ValueError(_("{day} is before the purchase ({date})").format(day=value, date=sale))
        return value

    @field_validator("voided")
    @classmethod
    def _voided_after_the_sale(cls, value: Voided | None, info: ValidationInfo) -> Voided | None:
        """No sale taken back before it was made, as no payment is made before it: `kehu
        purchase void` on a day (`--today`) before the sale wrote such a void with exit 0, and
        `check` said ok, while the reports counted the sale in one period and its void in one before."""
        sale = info.data.get("date")
        if value is not None and sale is not None and value.date < sale:
            raise ValueError(_("voided on {day}, before the purchase ({date})").format(day=value.date, date=sale))
        # nor paid after it was voided, the rule `kehu purchase pay` holds: a merge outside kehu's
        # driver (a conflict of lines resolved by keeping both sides) or a hand edit kept a sale
        # voided and paid in full, `check` ok. A payment dated before the void (or that day) is
        # one the void may have followed, a refund kept outside kehu
        late = next((p for p in info.data.get("payments") or () if value is not None and p.date > value.date), None)
        if late is not None:
            raise ValueError(_("voided on {day}, then paid {amount} on {paid_day}, and {rule}: money taken for a "
                               "sale taken back. Refund it and delete the payment's line, or (the sale stands) "
                               "delete `voided:`").format(day=value.date, amount=late.amount, paid_day=late.date,
                                                          rule=voided_cannot_be_paid()))
        return value

    @model_validator(mode="after")
    def _amount_from_items(self) -> Purchase:
        if self.amount is None:
            self.amount = _items_total(self.items)
            if self.amount is None:
                raise ValueError(_("a purchase needs an amount, or a price for every item"))
            # what the items add up to is held to the rule an amount given is held to: qty
            # 999999999999 at a price of as much was written (24 digits) with exit 0, then
            # refused by `kehu check`, so `kehu sync` stopped
            if self.amount and self.amount.adjusted() >= MONEY_DIGITS:
                raise ValueError(_("amount: the items add up to {total}; amounts have at most {digits} "
                                   "digits before the point").format(total=self.amount, digits=MONEY_DIGITS))
        self.amount = Decimal(self.amount).quantize(CENT)
        if not self.amount and not self.paid:
            # a sale of nothing (free items, `--amount 0`) owes nothing: settled as it is made.
            # Recorded unpaid, it stood in `receivables` and the credit report for ever, as
            # no payment of more than nothing can be taken for it
            self.paid = True
        return self

    @property
    def item_names(self) -> list[str]:
        return [i.name for i in self.items]

    @property
    def paid_amount(self) -> Decimal:
        """What the payments add up to."""
        return sum((p.amount for p in self.payments), Decimal(0)).quantize(CENT)

    @property
    def owed(self) -> Decimal:
        """What is still to be paid: nothing once ``paid`` (or voided), else the amount less
        the payments."""
        if self.paid or self.voided is not None:
            return Decimal(0).quantize(CENT)
        return max(Decimal(self.amount or 0) - self.paid_amount, Decimal(0)).quantize(CENT)

    def owed_on(self, day: dt.date) -> Decimal:
        """What was still owed at the end of ``day``: nothing before the sale, once voided, or
        for a sale settled without payments (paid at the counter); else the amount less the
        payments made by then (the supervisor's review looks back at past periods)."""
        if day < self.date or self.voided is not None or (self.paid and not self.payments):
            return Decimal(0).quantize(CENT)
        paid = sum((p.amount for p in self.payments if p.date <= day), Decimal(0))
        return max(Decimal(self.amount or 0) - paid, Decimal(0)).quantize(CENT)

    def collected_between(self, start: dt.date, end: dt.date) -> Decimal:
        """Money taken for this sale from ``start`` to ``end`` (both included): its payments
        dated then, or, for a sale paid at the counter (paid, no payments), its amount on the
        day of the sale."""
        if self.voided is not None:
            return Decimal(0).quantize(CENT)
        if self.paid and not self.payments:
            return Decimal(self.amount or 0).quantize(CENT) if start <= self.date <= end else Decimal(0).quantize(CENT)
        return sum((p.amount for p in self.payments if start <= p.date <= end), Decimal(0)).quantize(CENT)
