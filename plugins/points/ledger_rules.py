"""The points plugin's rules across a customer's ``points`` ledger (its ``validate_ledger``):
no points spent or written off twice, no sale's points given or taken back twice, no
referral rewarded twice, no points that lapse the day they are given. Each finds
``(index, message)`` pairs in the entries' file order, and each message names the command
that takes one of two entries back (:func:`take_back_command`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from kehu_core.errors import RecordError
from kehu_core.i18n import _
from kehu_core.store import Store

from .book import LEDGER, entry_date


class Rule(NamedTuple):
    """A rule of the ledger and its scope: which entries it weighs against the entries before
    them, said beside the rule, so the line check (:func:`line_problems`) reads the ledger for
    those alone and judges every other entry by itself, as the rule would in the whole ledger."""

    #: the rule: ``(index, message)`` pairs of the entries at fault, in the entries' file order
    find: Callable[[list[dict[str, Any]]], list[tuple[int, str]]]
    #: the reasons of the entries it weighs against every entry before them
    looks_back: frozenset[str] = frozenset()
    #: the reasons of the entries it weighs against those before them of that reason and ``ref``
    #: alone (a sale's points, its void): the ledger is read only when its text names the ref
    same_ref: frozenset[str] = frozenset()


def ledger_problems(entries: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Every rule's ``(index, message)`` pairs of a points ledger (the plugin's ``validate_ledger``)."""
    return [pair for rule in RULES for pair in rule.find(entries)]


def line_problems(store: Store, customer_id: str, entry: dict[str, Any]) -> list[str]:
    """The messages :func:`ledger_problems` gives of ``entry`` added as the last line of the
    customer's ledger (the plugin's ``validate_ledger_line``): each rule flags an entry against
    those before it, so the entries before keep theirs. The ledger is read only for a rule whose
    scope (:class:`Rule`) holds the entry's reason, or a ref the ledger's text names already for
    that reason; every other rule judges the entry alone. A sale's points, the common line, is
    judged from its text (``store.ledger_has``), not by reading a ledger of 23 000 entries for
    every sale."""
    reason, ref = entry.get("reason"), entry.get("ref")
    held: list[dict[str, Any]] | None = None
    out: list[str] = []
    try:
        for rule in RULES:
            if reason in rule.looks_back or (reason in rule.same_ref and isinstance(ref, str)
                                             and store.ledger_has(customer_id, LEDGER, reason=reason, ref=ref)):
                if held is None:
                    held = [*store.ledger(customer_id, LEDGER), entry]
                out += [message for n, message in rule.find(held) if n == len(held) - 1]
            else:
                out += [message for _n, message in rule.find([entry])]
    except RecordError:  # a ledger no reader takes: `kehu check` names its line
        return []
    return out


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
    recording a referred customer's first sale (each giving the referrer the bonus), and two
    clones each taking a part payment of a sale recorded before the plugin was on (the payment
    saves the sale, and :func:`earn` and :func:`referral` give what it had not earned: the team
    simulation's demo store did); git's union of their ledgers kept both lines: the points
    counted twice, `kehu check` ok. Each
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
                    "referral rewarded twice, as two clones each recording that customer's first sale do, or "
                    "each taking a payment of a first sale recorded before the points plugin was on; "
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
                "running `kehu points rebuild` at once do, or each taking a payment of a sale recorded before "
                "the points plugin was on; {way}") if reason == "purchase" else _(
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
        given, lapses = entry_date(entry["date"]), entry_date(entry["expires"])
        if lapses <= given:
            out.append((n, _("gives {points} points on {date} that lapse on {expires}, not after the day they "
                             "were given: they would be gone at once; write the day they lapse (kehu.yaml's "
                             "points: expiry_days after {date}) or take the line out").format(
                points=int(entry["delta"]), date=given.isoformat(), expires=lapses.isoformat())))
    return out


#: the rules of a points ledger, each with its scope: a spending (:func:`overdrawn`) and a
#: write-off (:func:`written_off_twice`) are weighed against the entries before them, a referral
#: bonus against the bonus held and a sale's points or void against those naming that sale
#: (:func:`earned_twice`), and every entry against itself alone (:func:`lapse_when_given`)
RULES = (
    Rule(overdrawn, looks_back=frozenset({"redeem", "expire"})),
    Rule(written_off_twice, looks_back=frozenset({"expire"})),
    Rule(earned_twice, looks_back=frozenset({"referral"}), same_ref=frozenset({"purchase", "void"})),
    Rule(lapse_when_given),
)
