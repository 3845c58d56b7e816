"""What a rep did about reminders: the ``reminders`` ledger of each customer (``{date, key,
action: done|snooze, ...}``), read back as the latest entry per key, and checked line by line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .i18n import _
from .models import Reminder
from .yamlio.files import LEDGER_SUFFIX

if TYPE_CHECKING:
    from .store import Store

LEDGER = "reminders"


def ledgered_customers(store: Store) -> set[str]:
    """Customers who have a reminders ledger (done/snooze entries), from the index."""
    return set(store.index.customers_with_ledger(f"{LEDGER}{LEDGER_SUFFIX}"))


def states(store: Store, customer_ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """The latest done/snooze entry per key, read only from ledgers that exist."""
    if customer_ids is None:
        customer_ids = sorted(ledgered_customers(store))
    state: dict[str, dict[str, Any]] = {}
    for cid in customer_ids:
        for entry in store.ledger(cid, LEDGER):
            if "key" in entry and _about(entry) == cid:
                state[str(entry["key"])] = entry
    return state


def _about(entry: dict[str, Any]) -> str | None:
    """The customer a ledger entry's key names (``RULE:CUSTOMER_ID:WHAT``), or None."""
    key = entry.get("key")
    parts = key.split(":", 2) if isinstance(key, str) else []
    return parts[1] if len(parts) == 3 else None


def done_between(store: Store, start: dt.date, end: dt.date) -> list[tuple[str, dt.date, str]]:
    """(customer id, day, key) of every reminder marked done from ``start`` to ``end`` (both
    included), from the ``reminders`` ledgers (the supervisor's review counts them). A key is
    one reminder: done in two clones (git's union keeps both lines), it counts once, on the
    first day it was done — the review counted it twice."""
    out = []
    for cid in sorted(ledgered_customers(store)):
        first: dict[str, dt.date] = {}
        for entry in store.ledger(cid, LEDGER):
            day = entry.get("date")
            if entry.get("action") == "done" and isinstance(day, dt.date) and _about(entry) == cid:
                key = str(entry.get("key"))
                first[key] = min(day, first.get(key, day))
        out += [(cid, day, key) for key, day in first.items() if start <= day <= end]
    return out


def done_keys(store: Store, customer_ids: Iterable[str]) -> dict[str, dt.date]:
    """The keys of these customers' reminders marked done, with the day each was done."""
    return {key: entry["date"] for key, entry in states(store, list(customer_ids)).items()
            if entry.get("action") == "done" and isinstance(entry.get("date"), dt.date)}


def state_entry_problem(entry: dict[str, Any], customer_id: str | None = None) -> str | None:
    """What is wrong with a line of a customer's reminders ledger (None: nothing), as
    ``kehu reminders done`` and ``snooze`` write it: a key, ``action: done`` or ``snooze``, a
    snooze's ``until``. A hand-edited ``action: explode`` or ``key: [1, 2]`` passed ``kehu
    check`` and was then ignored without a word (asked by ``kehu check``)."""
    key = entry.get("key")
    if not isinstance(key, str) or not key.strip():
        return _("key: expected the reminder's key (RULE:CUSTOMER_ID:ANCHOR, as `kehu reminders --json` "
                 "gives it), not {value}").format(value=repr(key))
    if customer_id is not None and _about(entry) != customer_id:
        # a line copied from another customer's ledger (by hand, a colleague's commit): read with
        # every ledger's lines, it marked the other customer's reminder done, `kehu check` ok, and
        # the supervisor's review counted it for this one; `kehu reminders done` writes a key into
        # the ledger of the customer it names, and `kehu customer merge` renames the keys it moves
        return _("key: {key} names {other}, not the customer whose ledger this is ({cid}); it is not read here: "
                 "move the line to that customer's ledger or remove it").format(
            key=repr(key), other=repr(_about(entry)), cid=customer_id)
    action = entry.get("action")
    if action not in ("done", "snooze"):
        return _("action: expected done or snooze, not {value}").format(value=repr(action))
    if action == "snooze" and entry.get("until") is None:
        return _("until: a snooze needs the day it ends")
    return None


def snoozed_to(state: dict[str, dict[str, Any]] | None, reminder: Reminder) -> dt.date:
    entry = state.get(reminder.key) if state else None
    until = entry.get("until") if entry is not None and entry.get("action") == "snooze" else None
    return until if isinstance(until, dt.date) and until > reminder.due else reminder.due


def apply_state(reminders: list[Reminder], state: dict[str, dict[str, Any]], end: dt.date) -> list[Reminder]:
    out = []
    for r in reminders:
        entry = state.get(r.key)
        if entry is not None and entry.get("action") == "done":
            continue
        if entry is not None and entry.get("action") == "snooze":
            until = entry.get("until")
            if isinstance(until, dt.date) and until > r.due:
                r = r.model_copy(update={"due": until})
        if r.due <= end:
            out.append(r)
    return out
