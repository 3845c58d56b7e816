"""The tier moves a customer's tiers ledger keeps (``kehu tier``'s history, the TUI's card): the
reasons said in the user's language, which entries are moves, and the one way a move is recorded."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from kehu_core.i18n import N_, _
from kehu_core.names import shown
from kehu_core.store import Store

from .tier_settings import LEDGER

# --- the ledger's reasons, said in the user's language ------------------------------------------
#
# A move's ``why`` is kept in one fixed form, in the records, whatever the language of the run
# that wrote it: ``CAUSE; BASIS``, the cause ``review`` (kehu tier record), ``purchase ID`` or
# the words of ``kehu tier set --reason`` (``manual override`` by default), the basis
# ``SCHEME: ¥AMOUNT in the last DAYS days``, ``manual override`` or ``not in the index``
# (what :func:`tier_of` says). It is the form every ledger has had, so old entries read the same
# way; :func:`reason_text` says it in the user's language, and anything else (a person's own
# words) as written.

#: the schemes as a person reads them (kehu.yaml and --json keep the scheme's name)
SCHEMES = {"pyramid": N_("pyramid"), "abc": N_("ABC"), "rfm": N_("RFM")}
_BASIS = re.compile(r"^(pyramid|abc|rfm): ¥(-?[\d.,]+) in the last (\d+) days$")
_PURCHASE = re.compile(r"^purchase (\S+)$")
_WORDS = {"review": N_("review"), "manual override": N_("manual override"), "not in the index": N_("not in the index")}


def _part(text: str) -> str | None:
    """One part of a kept reason in the user's language; None when it is not one kehu writes."""
    if text in _WORDS:
        return _(_WORDS[text])
    found = _PURCHASE.match(text)
    if found:
        return _("purchase {id}").format(id=found.group(1))
    found = _BASIS.match(text)
    if found:
        scheme, revenue, days = found.groups()
        return _("{scheme}: ¥{revenue} in the last {days} days").format(
            scheme=_(SCHEMES[scheme]), revenue=revenue, days=days)
    return None


def reason_text(why: Any) -> str:
    """A ledger entry's ``why`` as the user reads it (see above)."""
    if not isinstance(why, str):
        return "" if why is None else str(why)
    cause, sep, basis = why.rpartition("; ")
    if not sep:
        return _part(why) or why
    said = _part(basis)
    if said is None:
        return why
    return _("{cause}; {basis}").format(cause=_part(cause) or cause, basis=said)


def move_text(store: Store, entry: Mapping[str, Any], *, why: bool = True) -> str:
    """``主要客户 → 重要客户 (purchase …)``: a ledger entry's move, names and reason shown."""
    move = f"{shown(entry.get('from'), store) or '-'} → {shown(entry.get('to'), store)}"
    if not (why and entry.get("why")):
        return move
    return _("{move}  ({why})").format(move=move, why=reason_text(entry.get("why")))


def moves(entries: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The entries of a tiers ledger that move the customer. Each clone of a team that runs
    `kehu tier record` (its schedule), or sees the same sale move its buyer, records the move,
    and git's union of the two ledgers keeps both lines, in either order. So an entry is no
    move when it names as its ``to`` the tier the entries before it already moved to (what
    :func:`record_if_changed` never writes: `kehu tier` listed every move twice), nor when it
    moves from a tier the customer had already left, as a move kept before it did: the other
    clone's line of a move this one made, put after this clone's later moves by the union,
    read as a move back that nobody made."""
    kept: list[Mapping[str, Any]] = []
    made: set[tuple[Any, Any]] = set()
    for entry in entries:
        move = (entry.get("from"), entry.get("to"))
        if kept and (move[1] == kept[-1].get("to") or (move[0] != kept[-1].get("to") and move in made)):
            continue
        kept.append(entry)
        made.add(move)
    return kept


def last_recorded(store: Store, customer_id: str) -> str | None:
    kept = moves(store.ledger(customer_id, LEDGER))
    return kept[-1].get("to") if kept else None


def record_if_changed(
    store: Store, customer_id: str, tier: str | None, why: str, when: dt.date, ref: str | None = None
) -> dict[str, Any] | None:
    """Append ``{date, from, to, why}`` to the customer's tiers ledger if the tier moved;
    ``ref``: the record that moved them (a purchase), named as every ledger names a record, so
    the move goes and comes back with it (a sync's merge, ``customer merge``, ``kehu check``)."""
    with store.lock():  # read-compare-append as one step, so two writers cannot both append
        previous = last_recorded(store, customer_id)
        if tier is None or tier == previous:
            return None
        entry = {"date": when, "from": previous, "to": tier, "why": why}
        if ref is not None:
            entry["ref"] = ref
        store.append_ledger(customer_id, LEDGER, entry)
        return entry
