"""Credit sales (赊账) and their payments, and voiding a purchase: the one home of these rules.

``kehu purchase add / pay / void`` and the TUI's purchase form and pay dialog are thin doors
onto the functions here (see docs/payments.md).

- A new purchase is paid or on credit as the caller says, else as ``purchases: default_paid``
  in kehu.yaml says; one on credit without a due date is due ``credit_days`` after its date.
- A payment is one line of the purchase's ``payments`` list (``- {date, amount, by}``), written
  by a round-trip edit (only those lines change); ``paid`` becomes true when nothing is owed.
  More than is owed is refused with the figures; without an amount the rest is paid.
- A void writes ``voided: {date, reason, by}`` on the purchase: the file stays (the customer's
  history keeps it), the index counts it nowhere (revenue, receivables, reminders, reports),
  and the points it earned are reversed by the points plugin (a ledger entry).

After each change the plugins hear of the purchase as it now is (``interaction_saved``), so
points and tiers follow at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..clock import day_range_problem
from ..errors import KehuError
from ..i18n import _
from ..ids import entry_id
from ..models import CENT, Purchase, shows_something
from ..models.purchase import voided_cannot_be_paid
from ..money import amount_problem
from ..store import Store


def default_paid(store: Store) -> bool:
    """Whether a new purchase is paid when nobody says (``purchases: default_paid``)."""
    return store.config.purchases.default_paid


def record_purchase(store: Store, customer_id: str, data: dict[str, Any], *, paid: bool | None = None,
                    allow_future: bool = False, over_limit: str | None = None) -> Purchase:
    """Write a new purchase: ``paid`` None takes the store's default; on credit without a
    ``due`` date, it is due the customer's payment terms after its date (:mod:`kehu_core.credit`:
    their own, their level's, else ``purchases: credit_days``). A sale on credit that would take
    what the customer owes over their credit limit is refused with the figures, unless
    ``over_limit`` gives the reason (kept on the purchase as ``over_limit:``)."""
    from .. import credit

    data = {**data, "kind": "purchase"}
    data["paid"] = default_paid(store) if paid is None else paid
    if data.get("date") in (None, ""):
        data["date"] = store.today
    with store.lock():  # what is owed, the check and the write as one step
        customer = store.get(customer_id)
        if not data["paid"]:
            days = credit.terms_of(store, customer).terms_days
            if data.get("due") in (None, "") and days is not None:
                day = data["date"] if isinstance(data["date"], dt.date) else _day(data["date"])
                if day is not None and day_range_problem(day) is None:  # else the model says why
                    data["due"] = _due(store, day, days, allow_future=allow_future)
            amount = _amount(data)
            if amount is not None:
                mark = credit.check_sale(store, customer, amount, over_limit=over_limit,
                                         by=data.get("by") or customer.owner)
                if mark is not None:
                    data["over_limit"] = mark
        record = store.add_interaction(customer_id, data, allow_future=allow_future, customer=customer)
    assert isinstance(record, Purchase)
    return record


def _due(store: Store, day: dt.date, days: int, *, allow_future: bool) -> dt.date:
    """A sale on credit of ``day`` is due ``days`` later; one whose due day kehu cannot keep
    (a sale of 2199-12-31) is refused naming the date the user gave and why: the model said
    "due: 2200-01-30 is outside the dates kehu keeps", a day nobody typed. A date after today
    is said first, as for any sale (``Store.check_not_future``)."""
    from ..clock import LATEST_DAY

    due = day + dt.timedelta(days=days)
    if day_range_problem(due) is None:
        return due
    store.check_not_future(day, "purchase date", allow_future=allow_future)
    raise KehuError(_("purchase date {date}: a sale on credit is due {days} days later (the customer's payment "
                      "terms), on {due}, after the last date kehu keeps ({latest}); give a due date no later "
                      "than that, or record the sale as paid").format(
        date=day.isoformat(), days=days, due=due.isoformat(), latest=LATEST_DAY.isoformat()))


def _amount(data: dict[str, Any]) -> Decimal | None:
    """The amount the purchase will have (its own, or qty × price of its items); None when the
    record is not valid (the store then says what is wrong with it)."""
    from pydantic import ValidationError

    from ..models import parse_interaction

    try:
        record = parse_interaction({**data, "id": "new"})
    except ValidationError:
        return None
    assert isinstance(record, Purchase)
    return record.amount


def terms(purchase: Purchase) -> str:
    """How the purchase stands, as the CLI and the TUI say it after recording one."""
    from ..i18n import _

    if purchase.voided is not None:
        return _("voided {date}").format(date=purchase.voided.date.isoformat())
    if purchase.paid:
        return _("recorded paid")
    due = (_(", due {date}").format(date=purchase.due.isoformat()) if purchase.due else _(", no due date"))
    paid = (_(", ¥{paid} paid, ¥{owed} owed").format(paid=purchase.paid_amount, owed=purchase.owed)
            if purchase.payments else "")
    return _("recorded unpaid (on credit)") + due + paid


@dataclass
class PaymentDone:
    customer_name: str
    purchase: Purchase  # as it is after the payment
    payment: dict[str, Any]

    @property
    def settled(self) -> bool:
        return self.purchase.paid


def _purchase(store: Store, customer_id: str, purchase_id: str) -> Purchase:
    record = store.get_interaction(customer_id, purchase_id)
    if not isinstance(record, Purchase):
        raise KehuError(_("{purchase_id} of {customer_id} is a {kind}, not a purchase").format(
            purchase_id=purchase_id, customer_id=customer_id, kind=record.kind))
    return record


def owing(store: Store, customer_id: str) -> list[Purchase]:
    """The customer's purchases with something still owed (not voided), oldest first."""
    return [p for p in store.interactions(customer_id) if isinstance(p, Purchase) and p.owed > 0]


def the_one_owing(store: Store, customer_id: str) -> str:
    """The id of the customer's one purchase with something owed (``kehu purchase pay ID``
    without PURCHASE); refuses none or several, naming them."""
    found = owing(store, customer_id)
    if len(found) == 1:
        return found[0].id
    customer = store.get(customer_id)
    if not found:
        raise KehuError(_("{name} ({id}) owes nothing").format(name=customer.name, id=customer.id))
    listed = "; ".join(_("{id} ({date}, ¥{owed} owed)").format(id=p.id, date=p.date, owed=p.owed) for p in found)
    raise KehuError(_("{name} ({id}) owes on {count} purchases: {listed}; name one").format(
        name=customer.name, id=customer.id, count=len(found), listed=listed))


def pay(store: Store, customer_id: str, purchase_id: str, *, amount: Decimal | None = None,
        date: dt.date | None = None, by: str | None = None, allow_future: bool = False) -> PaymentDone:
    """Record a payment towards a purchase: all that is owed when ``amount`` is None, part of it
    otherwise. Refuses a voided or settled purchase, more than is owed, nothing, and a date
    before the sale or (unless ``allow_future``) after today; nothing is written then. The
    payment and what the plugins write of it are one (a full disk under theirs: none stays)."""
    with store.undo_on_error():
        return _pay(store, customer_id, purchase_id, amount=amount, date=date, by=by, allow_future=allow_future)


def _pay(store: Store, customer_id: str, purchase_id: str, *, amount: Decimal | None,
         date: dt.date | None, by: str | None, allow_future: bool) -> PaymentDone:
    day = date or store.today
    with store.lock():  # what is owed and the write, as one step: no double payment
        customer = store.get(customer_id)
        purchase = _purchase(store, customer_id, purchase_id)
        what = _("purchase {id} of {name} ({cid})").format(id=purchase.id, name=customer.name, cid=customer.id)
        if purchase.voided is not None:
            raise KehuError(_("{what} was voided on {date}; {rule}").format(
                what=what, date=purchase.voided.date, rule=voided_cannot_be_paid()))
        owed = purchase.owed
        if owed <= 0:
            raise KehuError(_("{what} is already paid (¥{amount}); nothing was changed").format(
                what=what, amount=purchase.amount))
        if amount is not None:
            problem = amount_problem(Decimal(amount))
            if problem is not None:
                raise KehuError(_("a payment of ¥{amount}: {problem}; nothing was changed").format(
                    amount=amount, problem=problem))
            amount = Decimal(amount).quantize(CENT)
            if amount <= 0:
                raise KehuError(_("a payment must be more than ¥0, not ¥{amount}").format(amount=amount))
            if amount > owed:
                raise KehuError(
                    _("¥{amount} is more than the ¥{owed} owed on {what} (amount ¥{amount2}, paid so "
                        "far ¥{paid_amount}); nothing was changed").format(
                        amount=amount, owed=owed, what=what, amount2=purchase.amount, paid_amount=purchase.paid_amount))
        store.check_not_future(day, "payment date", allow_future=allow_future)
        if day < purchase.date:
            raise KehuError(_("payment date {day} is before the purchase ({date}) of {what}").format(
                day=day, date=purchase.date, what=what))
        # the id keeps two equal payments made in two clones two after git merges the file
        payment: dict[str, Any] = {"id": entry_id(), "date": day,
                                   "amount": owed if amount is None else amount}
        who = by or customer.owner
        if who:
            payment["by"] = who
        settled = payment["amount"] == owed
        store.note_saved(store.interaction_file(customer_id, purchase_id))
        updated = store.update_interaction(
            customer_id, purchase_id, {"paid": True} if settled else {}, append={"payments": [payment]})
    assert isinstance(updated, Purchase)
    store.plugins.interaction_saved(store, store.get(customer_id), updated)
    return PaymentDone(customer.name, updated, payment)


def void(store: Store, customer_id: str, purchase_id: str, *, reason: str | None = None,
         by: str | None = None) -> Purchase:
    """Take a purchase back: ``voided: {date, reason, by}`` on its file (kept in the history),
    out of revenue, receivables, reminders and reports; its points reversed. Refuses a purchase
    voided already. The mark and what the plugins write of it are one, as a payment's."""
    with store.undo_on_error():
        return _void(store, customer_id, purchase_id, reason=reason, by=by)


def _void(store: Store, customer_id: str, purchase_id: str, *, reason: str | None, by: str | None) -> Purchase:
    with store.lock():
        customer = store.get(customer_id)
        purchase = _purchase(store, customer_id, purchase_id)
        if purchase.voided is not None:
            why = f" ({purchase.voided.reason})" if purchase.voided.reason else ""
            raise KehuError(_("purchase {id} of {name} ({id2}) was already voided on {date}{why}; nothing was "
                "changed").format(
                id=purchase.id, name=customer.name, id2=customer.id, date=purchase.voided.date, why=why))
        mark: dict[str, Any] = {"date": store.today}
        if reason and shows_something(reason):  # spaces say nothing: `--reason "  "` was kept as the reason
            mark["reason"] = reason
        who = by or customer.owner
        if who:
            mark["by"] = who
        store.note_saved(store.interaction_file(customer_id, purchase_id))
        updated = store.update_interaction(customer_id, purchase_id, {"voided": mark})
    assert isinstance(updated, Purchase)
    store.plugins.interaction_saved(store, store.get(customer_id), updated)
    return updated


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None  # the model says what is wrong with it
