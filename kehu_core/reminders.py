"""The reminder engine: what is due, marking a reminder done, snoozing it.

Rules come from plugins (the ``reminder_rules`` hook; the built-in ``reminders`` plugin has
greetings, surveys, birthdays, holidays ...). Each rule looks at one customer and their history
and yields :class:`~kehu_core.models.Reminder` objects whose ``key`` is stable, in the form
``<rule>:<customer id>:<anchor>`` (the anchor is what the reminder is about: a purchase id, a
birthday, the date of the last contact). What a rep did about a reminder is stored per
customer in the ``reminders`` ledger (``{date, key, action: done|snooze, ...}``), so it merges
through git like every other ledger, and marking one done also records a ``note`` interaction.

The three functions the CLI and the TUI's Today screen use: :func:`due_reminders`,
:func:`mark_done`, :func:`snooze`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .errors import KehuError
from .ids import check_id
from .models import Customer, Interaction, Reminder, interaction_adapter
from .store import LEDGER_SUFFIX

if TYPE_CHECKING:
    from .plugins import ReminderRule
    from .store import Store

LEDGER = "reminders"
#: how far back mark_done/snooze look for the reminder a key names
_LOOKUP_DAYS = 800


def parse_key(key: str) -> tuple[str, str, str]:
    """``greeting:c1ngab...:2026-11-01-x`` → (rule, customer id, anchor); KehuError if malformed."""
    parts = key.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise KehuError(f"{key!r} is not a reminder key (expected RULE:CUSTOMER_ID:WHAT)")
    check_id(parts[1], "customer id in the reminder key")
    return parts[0], parts[1], parts[2]


def rules(store: Store) -> list[ReminderRule]:
    return store.plugins.collect("reminder_rules", store=store) if store.plugins else []


def _histories(store: Store, customer_id: str | None = None) -> dict[str, list[Interaction]]:
    """Interactions per customer from the index (one query), oldest first."""
    sql = "SELECT customer_id, data FROM interactions"
    params: tuple[str, ...] = ()
    if customer_id:
        sql += " WHERE customer_id=?"
        params = (customer_id,)
    out: dict[str, list[Interaction]] = defaultdict(list)
    parse = interaction_adapter.validate_json  # straight from the stored JSON: no dict between
    for cid, data in store.index.db.execute(sql + " ORDER BY date, id", params):
        out[cid].append(parse(data))
    return out


def _states(store: Store, customer_ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """The latest done/snooze entry per key, read only from ledgers that exist."""
    if customer_ids is None:
        rows = store.index.db.execute(
            "SELECT customer_id FROM files WHERE kind='ledger' AND path LIKE ?",
            (f"%/{LEDGER}{LEDGER_SUFFIX}",),
        ).fetchall()
        customer_ids = [cid for (cid,) in rows]
    state: dict[str, dict[str, Any]] = {}
    for cid in customer_ids:
        for entry in store.ledger(cid, LEDGER):
            if "key" in entry:
                state[str(entry["key"])] = entry
    return state


def _run_rules(
    store: Store,
    rule_list: list[ReminderRule],
    customer: Customer,
    history: list[Interaction],
    start: dt.date,
    end: dt.date,
) -> list[Reminder]:
    out: list[Reminder] = []
    for rule in rule_list:
        try:
            out.extend(rule.due(store, customer, history, start, end))
        except Exception as exc:  # one broken rule must not hide every other reminder
            if store.plugins is None:
                raise
            store.plugins.report(getattr(rule, "plugin", rule.name), f"reminder rule {rule.name}", exc)
    return out


def _apply_state(reminders: list[Reminder], state: dict[str, dict[str, Any]], end: dt.date) -> list[Reminder]:
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


def _sorted(reminders: list[Reminder]) -> list[Reminder]:
    return sorted(reminders, key=lambda r: (r.due, r.customer_name, r.rule, r.key))


def due_reminders(store: Store, start: dt.date, end: dt.date) -> list[Reminder]:
    """Every reminder due from ``start`` to ``end`` (inclusive) that is not done or snoozed past
    ``end``. Ongoing ones (a customer not contacted for too long, an unpaid bill) that fell due
    earlier are included with their original date, so nothing overdue silently disappears."""
    rule_list = rules(store)
    if not rule_list:
        return []
    histories = _histories(store)
    state = _states(store)
    out: list[Reminder] = []
    for row in store.index.list(order="id"):
        found = _run_rules(store, rule_list, row.customer, histories.get(row.customer.id, []), start, end)
        out.extend(_apply_state(found, state, end))
    return _sorted(out)


def reminders_of(
    store: Store, customer_id: str, start: dt.date, end: dt.date, *, customer: Customer | None = None
) -> list[Reminder]:
    """:func:`due_reminders` for one customer (pass ``customer`` if it is loaded already)."""
    customer = customer or store.get(customer_id)
    found = _run_rules(store, rules(store), customer, _histories(store, customer_id).get(customer_id, []), start, end)
    return _sorted(_apply_state(found, _states(store, [customer_id]), end))


def _find(store: Store, key: str) -> Reminder:
    _, cid, _ = parse_key(key)
    customer = store.get(cid)
    today = dt.date.today()
    start, end = today - dt.timedelta(days=_LOOKUP_DAYS), today + dt.timedelta(days=_LOOKUP_DAYS)
    history = _histories(store, cid).get(cid, [])
    for reminder in _run_rules(store, rules(store), customer, history, start, end):
        if reminder.key == key:
            return reminder
    raise KehuError(f"no reminder {key!r} for {customer.name} ({cid}); `kehu reminders` lists the keys")


def mark_done(store: Store, key: str, note: str | None = None, *, kind: str = "note") -> Reminder:
    """Mark a reminder done: a ``done`` ledger entry (so it stops showing) and an interaction
    (``note`` by default, or e.g. ``call``/``visit``) saying what was done."""
    reminder = _find(store, key)
    previous = _states(store, [reminder.customer_id]).get(key)
    if previous is not None and previous.get("action") == "done":
        raise KehuError(f"reminder {key!r} was already done on {previous.get('date')}")
    today = dt.date.today()
    text = f"已完成提醒：{reminder.title}" + (f" — {note}" if note else "")
    entry: dict[str, Any] = {"date": today, "key": key, "action": "done"}
    if note:
        entry["note"] = note
    with store.lock():
        store.add_interaction(reminder.customer_id, {"kind": kind, "date": today, "text": text, "reminder": key})
        store.append_ledger(reminder.customer_id, LEDGER, entry)
    return reminder


def snooze(store: Store, key: str, until: dt.date) -> Reminder:
    """Hide a reminder until ``until`` (after today); it then shows again, due that day."""
    today = dt.date.today()
    if until <= today:
        raise KehuError(f"snooze until {until}: expected a day after today ({today})")
    reminder = _find(store, key)
    store.append_ledger(reminder.customer_id, LEDGER, {"date": today, "key": key, "action": "snooze", "until": until})
    return reminder.model_copy(update={"due": until})
