"""The points book of one customer: replaying the ``points`` ledger into a balance.

Every change is one ledger entry (``{date, reason, delta, ...}``, one line each):

- ``purchase``: points for a purchase (``ref`` the purchase id), ``expires`` when the points lapse;
  on the day of the sale (``earn_on: sale``) or of the payment that settles it (``earn_on:
  payment``: nothing for an order not fully paid, the whole amount's points once it is)
- ``void``: the points of a voided purchase taken back (negative ``delta``, ``ref`` its id)
- ``referral``: the bonus for a referred customer's first purchase (``ref`` that customer);
  taken back by a negative one (``void`` the purchase) when that purchase is voided and the
  referred customer has no other
- ``redeem``: points spent (negative ``delta``, ``note`` the reason)
- ``expire``: lapsed points written off (negative ``delta``)
- ``adjust``: a manual correction

Spending and expiry use the points that lapse first, so a redemption never "saves" points that
were about to lapse at the expense of newer ones.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kehu_core.config_names import as_stored
from kehu_core.errors import KehuError, Problem, RecordError
from kehu_core.i18n import N_, _
from kehu_core.keytext import key_text
from kehu_core.models import Customer, Purchase, shows_something
from kehu_core.plugins import plugin_settings
from kehu_core.store import Store

#: ledger reasons as a person reads them (the ledger keeps the code: ``reason: purchase``)
REASONS = {"purchase": N_("purchase"), "referral": N_("referral"), "redeem": N_("redeemed"),
           "expire": N_("lapsed"), "void": N_("voided purchase"), "adjust": N_("adjustment")}


def reason_text(reason: str | None) -> str:
    """A ledger entry's reason in the user's language (a reason kehu does not know: as kept)."""
    return _(REASONS[reason]) if reason in REASONS else str(reason or "")

NAME = "points"
LEDGER = "points"
NEVER = dt.date.max


class PointsSettings(BaseModel):
    """``plugins: points:`` in kehu.yaml."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    # Bounded so that no sale kehu keeps (12 digits before the point) earns a delta past a
    # record's 18 digits: `per_amount: 1e30` passed `kehu check`, then every purchase's points
    # failed to be written ("plugin 'points' failed"), the sale kept without its points.
    # and to 4 places / the fen: `per_amount: 1e-30` or `unit: 1e300` earned no point on any
    # sale kehu keeps, with `kehu check` ok
    per_amount: Decimal = Field(Decimal(1), ge=0, le=1000, decimal_places=4)  # points for every `unit` spent
    unit: Decimal = Field(Decimal(1), ge=Decimal("0.01"), le=1_000_000, decimal_places=2)  # the fen at the least
    # a level or a tier → a factor
    multipliers: dict[str, Annotated[Decimal, Field(ge=0, le=100)]] = Field(default_factory=dict)
    referral_bonus: int = Field(100, ge=0, le=1_000_000_000)
    expiry_days: int | None = Field(365, ge=0, le=36500)  # 0 or null: points never lapse
    # sale: a purchase earns when it is recorded; payment: when it is fully paid (none on
    # credit, none for part of it), dated the day of the settling payment
    earn_on: Literal["sale", "payment"] = "sale"

    @field_validator("multipliers")
    @classmethod
    def _as_stored(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        return as_stored(value)  # a level as a customer's is stored: `Café` decomposed earned no multiple


def settings(store: Store) -> PointsSettings:
    return plugin_settings(store, NAME, PointsSettings)


@dataclass
class Book:
    balance: int = 0
    lots: list[list[Any]] = field(default_factory=list)  # [expires, remaining, entry id], soonest first
    lapsed: int = 0  # lapsed by the as-of date but not yet written off
    entries: list[dict[str, Any]] = field(default_factory=list)
    #: the ids of the entries whose points make up ``lapsed`` (what a write-off names)
    lapsed_lots: list[str] = field(default_factory=list)

    def expiring(self, until: dt.date) -> int:
        return sum(lot[1] for lot in self.lots if lot[0] <= until)


def replay(entries: list[dict[str, Any]], as_of: dt.date) -> Book:
    book = Book(entries=entries)
    ordered = sorted(enumerate(entries), key=lambda pair: (entry_date(pair[1].get("date")), pair[0]))
    # the lots in a heap, soonest to lapse first, then in the order they were given: sorting
    # the whole list after each entry made a ledger of 88 000 entries two minutes' work
    heap: list[tuple[dt.date, int, list[Any]]] = []
    for index, entry in ordered:
        delta = int(entry.get("delta", 0))
        book.balance += delta
        if delta > 0:  # a lot: [expires, points left, the id of the entry that gave them]
            lot = [entry_date(entry.get("expires")) if entry.get("expires") else NEVER, delta, entry.get("id")]
            heapq.heappush(heap, (lot[0], index, lot))
        elif delta < 0:
            _consume(heap, -delta)
    lots = [lot for _expires, _index, lot in sorted(heap, key=lambda item: item[:2])]
    book.lapsed = sum(lot[1] for lot in lots if lot[0] <= as_of)
    book.lapsed_lots = [str(lot[2]) for lot in lots if lot[0] <= as_of and lot[1] > 0 and lot[2]]
    book.lots = [lot for lot in lots if lot[0] > as_of and lot[1] > 0]
    book.balance -= book.lapsed
    return book


def _consume(heap: list[tuple[dt.date, int, list[Any]]], amount: int) -> None:
    """Spend ``amount`` from the lots that lapse soonest; a lot spent to nothing leaves."""
    while amount and heap:
        lot = heap[0][2]
        take = min(lot[1], amount)
        lot[1] -= take
        amount -= take
        if not lot[1]:
            heapq.heappop(heap)


def entry_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def book_of(store: Store, customer_id: str, as_of: dt.date | None = None) -> Book:
    entries = store.ledger(customer_id, LEDGER)
    try:
        return replay(entries, as_of or store.today)
    except (TypeError, ValueError) as exc:
        path = store.ledger_file(customer_id, LEDGER)
        raise RecordError([Problem(path, _bad_line(path, entries, as_of or store.today),
                                   f"points entry: {exc}")]) from None


def _bad_line(path: Path, entries: list[dict[str, Any]], today: dt.date) -> int:
    """The line of the first entry that does not replay (entries are one per line)."""
    lines = [n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text.startswith("- ")]
    for n, entry in zip(lines, entries, strict=False):
        try:
            replay([entry], today)
        except (TypeError, ValueError):
            return n
    return 1


def write_off(store: Store, customer_id: str, today: dt.date) -> int:
    """Record lapsed points as an ``expire`` entry; returns how many."""
    with store.lock():
        book = book_of(store, customer_id, today)
        if book.lapsed:
            entry: dict[str, Any] = {"date": today, "reason": "expire", "delta": -book.lapsed}
            if book.lapsed_lots:  # which points: the same written off in another clone is found
                entry["lots"] = book.lapsed_lots
            store.append_ledger(customer_id, LEDGER, entry)
        return book.lapsed


def multiplier(store: Store, customer: Customer) -> Decimal:
    """The highest factor among the customer's level and tier (1 if none is configured)."""
    table = settings(store).multipliers
    if not table:
        return Decimal(1)
    keys = [customer.level]
    if set(table) - {customer.level}:  # only then ask for the tier
        tier = store.plugins.values(store, customer, skip=[NAME]).get("tier")
        keys.append(key_text(tier) if isinstance(tier, str) else tier)  # as the table's names are read
    return max([table[k] for k in keys if k in table] or [Decimal(1)])


def earning_day(store: Store, purchase: Purchase) -> dt.date | None:
    """The day a purchase earns its points under ``earn_on``, or None while it earns none
    (voided; on credit when points come with payment)."""
    if purchase.voided is not None:
        return None
    if settings(store).earn_on == "sale":
        return purchase.date
    if not purchase.paid:
        return None
    return max([purchase.date, *(p.date for p in purchase.payments)])


def earn(store: Store, customer: Customer, purchase: Purchase) -> dict[str, Any] | None:
    """Points for one purchase, once (a purchase already in the ledger earns nothing more);
    a voided purchase's points are taken back instead (:func:`reverse`)."""
    if purchase.voided is not None:
        return reverse(store, customer.id, purchase)
    day = earning_day(store, purchase)
    if day is None:
        return None
    cfg = settings(store)
    factor = multiplier(store, customer)
    points = int((purchase.amount / cfg.unit * cfg.per_amount * factor).to_integral_value(ROUND_FLOOR))
    entry: dict[str, Any] = {
        "date": day,
        "reason": "purchase",
        "delta": points,
        "ref": purchase.id,
    }
    if factor != 1:
        entry["multiplier"] = factor
    if cfg.expiry_days:
        entry["expires"] = day + dt.timedelta(days=cfg.expiry_days)
    return _append_once(store, customer.id, entry) if points > 0 else None


def reverse(store: Store, customer_id: str, purchase: Purchase) -> dict[str, Any] | None:
    """Take back what a voided purchase earned: one ``void`` entry, once, dated the day of
    the void (the points leave the balance from then; lapsed ones are not taken twice)."""
    with store.lock():
        earned = sum(int(e.get("delta", 0)) for e in store.ledger(customer_id, LEDGER)
                     if e.get("reason") == "purchase" and e.get("ref") == purchase.id)
        if earned <= 0:
            return None
        day = purchase.voided.date if purchase.voided is not None else store.today
        entry: dict[str, Any] = {"date": day, "reason": "void", "delta": -earned, "ref": purchase.id}
        return _append_once(store, customer_id, entry)


def referral(store: Store, customer: Customer, purchase: Purchase) -> dict[str, Any] | None:
    """The referrer's bonus, given when this purchase is the referred customer's first, and
    taken back when it is voided and the referred customer has no other purchase left (the
    bonus rewards a customer who bought). Both are ``referral`` entries of the referrer's
    ledger (``ref`` the referred customer; the one taking it back has a negative ``delta``
    and ``void`` the purchase), so the bonus a referrer holds for a referral is the sum of
    those entries: the points balance, ``kehu report referrals`` and the thank-you message
    all read it so. A later purchase of the referred customer gives it again."""
    cfg = settings(store)
    if not customer.referrer or not store.exists(customer.referrer):
        return None
    with store.lock():
        held = sum(int(e.get("delta", 0)) for e in store.ledger(customer.referrer, LEDGER)
                   if e.get("reason") == "referral" and e.get("ref") == customer.id)
        purchases = [i for i in store.interactions(customer.id) if isinstance(i, Purchase) and i.voided is None]
        if purchase.voided is not None:
            if held <= 0 or purchases:
                return None  # nothing given, or they still bought: the bonus stays
            entry: dict[str, Any] = {"date": purchase.voided.date, "reason": "referral", "delta": -held,
                                     "ref": customer.id, "void": purchase.id}
            store.append_ledger(customer.referrer, LEDGER, entry)
            return entry
        if held > 0 or not cfg.referral_bonus:
            return None
        if not purchases or min((p.date, p.id) for p in purchases) != (purchase.date, purchase.id):
            return None
        entry = {"date": purchase.date, "reason": "referral", "delta": cfg.referral_bonus, "ref": customer.id}
        if cfg.expiry_days:
            entry["expires"] = purchase.date + dt.timedelta(days=cfg.expiry_days)
        store.append_ledger(customer.referrer, LEDGER, entry)
        return entry


def _append_once(store: Store, customer_id: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    with store.lock():
        if store.ledger_has(customer_id, LEDGER, reason=entry["reason"], ref=entry["ref"]):
            return None
        store.append_ledger(customer_id, LEDGER, entry)
    return entry


def redeem(store: Store, customer: Customer, points: int, note: str | None, today: dt.date) -> Book:
    """Spend points; refuses more than the balance. Lapsed points are written off first."""
    if points <= 0:
        raise KehuError(_("points to redeem must be more than 0, not {points}").format(points=points))
    with store.lock():  # balance check and append as one step: no double spending
        write_off(store, customer.id, today)
        book = book_of(store, customer.id, today)
        if points > book.balance:
            raise KehuError(
                _("{name} ({id}) has {balance} points; cannot redeem {points} (nothing was changed)").format(
                    name=customer.name, id=customer.id, balance=book.balance, points=points)
            )
        entry: dict[str, Any] = {"date": today, "reason": "redeem", "delta": -points}
        if note and shows_something(note):  # what the points paid for, as the user wrote it (spaces say nothing:
            entry["note"] = note    # `--reason "   "` was kept, and listed as a reason of blanks)
        store.append_ledger(customer.id, LEDGER, entry)
        return book_of(store, customer.id, today)
