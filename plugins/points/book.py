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
    ordered = sorted(enumerate(entries), key=lambda pair: (_date(pair[1].get("date")), pair[0]))
    # the lots in a heap, soonest to lapse first, then in the order they were given: sorting
    # the whole list after each entry made a ledger of 88 000 entries two minutes' work
    heap: list[tuple[dt.date, int, list[Any]]] = []
    for index, entry in ordered:
        delta = int(entry.get("delta", 0))
        book.balance += delta
        if delta > 0:  # a lot: [expires, points left, the id of the entry that gave them]
            lot = [_date(entry.get("expires")) if entry.get("expires") else NEVER, delta, entry.get("id")]
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


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _takes_back(entry: dict[str, Any]) -> bool:
    """An entry taking back points given for a sale that was voided (``void``, or a
    ``referral`` bonus taken back): it may leave a balance below zero when those points were
    spent before the void, as a customer may have."""
    return entry.get("reason") == "void" or (entry.get("reason") == "referral" and int(entry.get("delta", 0)) < 0)


def overdrawn(entries: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Entries that spend points the ledger did not hold when they were written, each as
    ``(index, message)``: a ``redeem`` (or an ``expire`` write-off) taking the points left —
    every entry before it in the file added up — below zero. :func:`redeem` and
    :func:`write_off` never write one: each looks at the entries before its own (a balance
    leaves out lapsed points too, so it is never more than what is left). Two clones each
    redeeming the same points do, and git's union of their ledgers keeps both lines (a balance
    of -60). Take-backs of voided sales are not counted (points spent before the sale was
    voided: a balance below zero, and no fault). A sum in file order, not a replay of lots, so
    two ledgers one after the other (``kehu customer merge``) are judged as each alone; an
    entry found at fault is left out of the sum the later ones are weighed against. Each
    message names the command that takes one of the two back (:func:`take_back_command`): the
    nearest spending before it whose points, given back, let it stand (in a sync's merge, the
    refused clone's own), else the entry itself."""
    out: list[tuple[int, str]] = []
    left = 0
    spent: list[dict[str, Any]] = []  # the spending entries counted, in file order
    for n, entry in enumerate(entries):
        if _takes_back(entry):
            continue
        delta, reason = int(entry.get("delta", 0)), entry.get("reason")
        if delta < 0 and reason in ("redeem", "expire") and left + delta < 0:
            first = next((e for e in reversed(spent) if isinstance(e.get("id"), str)
                          and left - int(e.get("delta", 0)) + delta >= 0), entry)
            out.append((n, (_(
                "redeems {points} points when {had} were left (the balance would be {after}): the same "
                "points spent twice, as two clones redeeming at once do; {way}") if reason == "redeem" else _(
                "writes off {points} lapsed points when {had} were left (the balance would be {after}): "
                "points written off twice, as two clones redeeming or running `kehu points expire` at "
                "once do; {way}")).format(points=-delta, had=left, after=left + delta,
                                         way=take_back_command(first, entry))))
            continue
        left += delta
        if delta < 0 and reason in ("redeem", "expire"):
            spent.append(entry)
    return out


def written_off_twice(entries: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """``expire`` entries writing off points another one wrote off already, each as ``(index,
    message)``: a write-off names the entries whose points lapsed (``lots``, their ids), and
    :func:`write_off` never names one written off before. Two clones each writing off the same
    lapsed points (`kehu points expire`, or a redemption, which writes off what lapsed first)
    do, and git's union of their ledgers kept both: the second took live points, and the
    balance was less than the customer holds, with `kehu check` ok while it stayed above zero.
    Each message names the command that takes one of the two back (:func:`take_back_command`)."""
    out: list[tuple[int, str]] = []
    seen: dict[str, dict[str, Any]] = {}  # each lot written off: the entry that wrote it off
    for n, entry in enumerate(entries):
        lots = entry.get("lots") if entry.get("reason") == "expire" else None
        if not isinstance(lots, list):
            continue
        named = {str(lot) for lot in lots}
        twice = sorted(named & seen.keys())
        if twice:
            out.append((n, _("writes off points written off already (those of {entries}): the same lapsed "
                             "points written off twice, as two clones running `kehu points expire` or "
                             "redeeming at once do; {way}").format(
                entries=", ".join(twice), way=take_back_command(seen[twice[0]], entry))))
            continue
        seen.update(dict.fromkeys(named, entry))
    return out


def earned_twice(entries: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """``purchase`` (and ``void``) entries of a sale another such entry names already, and a
    ``referral`` bonus for a customer whose bonus is held already, each as ``(index,
    message)``: a sale earns its points once, a void takes them back once
    (:func:`_append_once`), and a referral is rewarded once until taken back
    (:func:`referral`). Two clones each awarding the points of one sale (`kehu points rebuild`
    of a sale recorded without them, run in both) do, and so do two clones each
    recording a referred customer's first sale (each giving the referrer the bonus); git's
    union of their ledgers kept both lines: the points counted twice, `kehu check` ok. Each
    message names the command that takes one of the two back (:func:`take_back_command`)."""
    out: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], dict[str, Any]] = {}  # the first entry of each sale's points, or its void
    held: dict[str, int] = {}  # the referral bonus held for each customer referred
    given: dict[str, dict[str, Any]] = {}  # the entry that gave it
    for n, entry in enumerate(entries):
        reason, ref = entry.get("reason"), entry.get("ref")
        if reason == "referral" and isinstance(ref, str):
            delta = int(entry.get("delta", 0))
            if delta > 0 and held.get(ref, 0) > 0:
                out.append((n, _(
                    "gives the referral bonus for customer {ref} again (given already, not taken back): one "
                    "referral rewarded twice, as two clones each recording that customer's first sale do; "
                    "{way}").format(ref=ref, way=take_back_command(given[ref], entry))))
                continue
            held[ref] = held.get(ref, 0) + delta
            if delta > 0:
                given[ref] = entry
            continue
        if reason not in ("purchase", "void") or not isinstance(ref, str):
            continue
        if (reason, ref) in seen:
            way = take_back_command(seen[(reason, ref)], entry)
            out.append((n, (_(
                "awards the points of sale {ref} again: the same sale's points given twice, as two clones "
                "running `kehu points rebuild` at once do; {way}") if reason == "purchase" else _(
                "takes back the points of voided sale {ref} again: taken back twice, as two clones each "
                "voiding the sale do; {way}")).format(ref=ref, way=way)))
            continue
        seen[(reason, ref)] = entry
    return out


def take_back_command(first: dict[str, Any], again: dict[str, Any]) -> str:
    """The way on from two entries that are one given twice: take one back, ``kehu points void``
    of the first one's id. Where the two are met in a sync's merge, the first is the refused
    clone's own (git's union writes this clone's lines before the other's), so the command runs
    there as it is said; in a store holding both, either one will do. Entries written before
    entries had ids: ``kehu undo`` in the clone that made it, as before."""
    chosen = next((e.get("id") for e in (first, again) if isinstance(e.get("id"), str)), None)
    if chosen is None:
        return _("take one back (`kehu undo` in the clone that made it)")
    return _("take one of the two back with `kehu points void {id}` (in the clone whose `kehu sync` was "
             "refused, or in this one), then run `kehu sync`").format(id=chosen)


def lapse_when_given(entries: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Entries whose points lapse (``expires``) on or before the day they were given, each as
    ``(index, message)``: kehu writes the day of the sale plus ``expiry_days`` (one day at
    least), so only a hand edit does, and the points were gone at once, `kehu check` ok, the
    customer's balance short by them from then on with nothing to say why."""
    out: list[tuple[int, str]] = []
    for n, entry in enumerate(entries):
        if int(entry.get("delta", 0)) <= 0 or not entry.get("expires") or not entry.get("date"):
            continue
        given, lapses = _date(entry["date"]), _date(entry["expires"])
        if lapses <= given:
            out.append((n, _("gives {points} points on {date} that lapse on {expires}, not after the day they "
                             "were given: they would be gone at once; write the day they lapse (kehu.yaml's "
                             "points: expiry_days after {date}) or take the line out").format(
                points=int(entry["delta"]), date=given.isoformat(), expires=lapses.isoformat())))
    return out


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
