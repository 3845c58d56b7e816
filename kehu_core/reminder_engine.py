"""The reminder engine: what is due, marking a reminder done, snoozing it.

Rules come from plugins (the ``reminder_rules`` hook; the built-in ``reminders`` plugin has
greetings, surveys, birthdays, holidays ...). Each rule looks at one customer and their history
and yields :class:`~kehu_core.models.Reminder` objects whose ``key`` is stable, in the form
``<rule>:<customer id>:<anchor>`` (the anchor is what the reminder is about: a purchase id, a
birthday, the date of the last contact). What a rep did about a reminder is stored per
customer in the ``reminders`` ledger (``{date, key, action: done|snooze, ...}``), so it merges
through git like every other ledger, and marking one done also records a ``note`` interaction.

Two engine rules hold for every plugin's rules. **Lapse**: a missed reminder shows for
``lapse_days`` after its due day, then lapses (a greeting two days after a purchase is worth
nothing a year later); the days come from ``plugins: reminders: lapse_days: {RULE: N}`` in
kehu.yaml, else the rule's own ``lapse_days``, else :data:`DEFAULT_LAPSE_DAYS`; ``None`` never
lapses (an overdue bill, a complaint deadline). **Groups**: every reminder belongs to one of
:data:`GROUPS` (complaints first, then payments, key-account visits, birthdays and holidays,
greetings and surveys, keeping in touch), from :data:`RULE_GROUPS` or the rule's ``group``;
:func:`by_group` orders a list the way Today and ``kehu reminders`` show it.

The three functions the CLI and the TUI's Today screen use: :func:`due_reminders`,
:func:`mark_done`, :func:`snooze`. :func:`reminders_for` is :func:`reminders_of` for many
customers at once (``customer list --json``): histories read a chunk of customers per query,
and only the part of them the rules declare they look at (:class:`HistoryNeeds`).

The groups are :mod:`kehu_core.reminder_groups`'s, the done/snooze ledger
:mod:`kehu_core.reminder_state`'s; this module runs the rules.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from .errors import KehuError
from .i18n import _
from .ids import check_id
from .models import Customer, Interaction, Reminder
from .models.fields import INDEXED
from .models.interactions import interaction_adapter
from .plugin_code import kehus_own, plugin_code, stops_kehu
from .plugins import WrongResult

# (the `X as X` imports: named here too, as plugins, the TUI, `kehu check` and the docs know
# them, e.g. kehu_core.reminder_engine.GROUPS)
from .reminder_groups import GROUP_LABELS as GROUP_LABELS
from .reminder_groups import GROUPS as GROUPS
from .reminder_groups import RULE_GROUPS as RULE_GROUPS
from .reminder_groups import by_group as by_group
from .reminder_groups import day_list as day_list
from .reminder_groups import group_counts as group_counts
from .reminder_runs import MAX_REMINDERS as MAX_REMINDERS
from .reminder_runs import run_rules
from .reminder_state import LEDGER, apply_state, ledgered_customers, states
from .reminder_state import state_entry_problem as state_entry_problem

if TYPE_CHECKING:
    from .plugins import ReminderRule
    from .store import Store


#: how far back mark_done/snooze look for the reminder a key names
_LOOKUP_DAYS = 800
#: customers whose histories one query of reminders_for reads (bounds memory at any size)
_CHUNK = 500
#: customers a rule is run over within one setting up of its guards (reminder_runs.run_rules):
#: a few tens of milliseconds of the rules, as kehu serve's warm-up pauses every 200 customers
_RULES_CHUNK = 100

#: days a missed reminder of a rule that names none (and kehu.yaml names none for) still shows
DEFAULT_LAPSE_DAYS = 14
#: how far back a rule that never lapses is asked for one-day reminders it missed
_NEVER_LAPSES_LOOKBACK = _LOOKUP_DAYS

#: ``lapse_days`` in kehu.yaml: rule name -> days (0: only on its day), or null: never lapses
LapseDays = dict[str, Annotated[int, Field(ge=0, le=3660)] | None]


class LapseSettings(BaseModel):
    """The part of ``plugins: reminders:`` in kehu.yaml the engine reads (the reminders plugin
    validates the rest, and declares ``lapse_days`` with this same type)."""

    model_config = ConfigDict(defer_build=True, extra="ignore")
    lapse_days: LapseDays = Field(default_factory=dict)


@dataclass(frozen=True)
class HistoryNeeds:
    """The part of a customer's history a rule looks at, declared by an optional rule method
    ``history_needs(start, end) -> HistoryNeeds``; :func:`reminders_for` then reads only that
    from the index instead of parsing every interaction. The rule must give the same reminders
    from any history holding at least these interactions as from the whole history. A rule
    without the method gets the whole history. Nothing set: the rule ignores the history."""

    latest: bool = False  # the latest interaction of each kind (last contact, visit, purchase)
    purchases: tuple[dt.date, dt.date] | None = None  # purchases dated in [first, last]
    unpaid: bool = False  # unpaid purchases that have a due date
    open_complaints: bool = False  # complaints not yet resolved (open or acknowledged)

    def __or__(self, other: HistoryNeeds) -> HistoryNeeds:
        spans = [s for s in (self.purchases, other.purchases) if s is not None]
        return HistoryNeeds(
            self.latest or other.latest,
            (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None,
            self.unpaid or other.unpaid,
            self.open_complaints or other.open_complaints,
        )


def parse_key(key: str) -> tuple[str, str, str]:
    """``greeting:c1ngab...:2026-11-01-x`` → (rule, customer id, anchor); KehuError if malformed."""
    parts = key.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise KehuError(_("{key} is not a reminder key (expected RULE:CUSTOMER_ID:WHAT)").format(key=repr(key)))
    check_id(parts[1], "customer id in the reminder key")
    return parts[0], parts[1], parts[2]


def rules(store: Store) -> list[ReminderRule]:
    return [rule for _plugin, rule in named_rules(store)]


def named_rules(store: Store) -> list[tuple[str, ReminderRule]]:
    """(the plugin that gave it, rule) for every plugin's reminder rules."""
    return store.plugins.items("reminder_rules", store=store)


def lapse_settings(store: Store) -> dict[str, int | None]:
    """``plugins: reminders: lapse_days`` of kehu.yaml (RecordError with kehu.yaml:LINE if bad)."""
    return store.plugins.settings_model("reminders", LapseSettings).lapse_days


def lapse_of(store: Store, rule: ReminderRule) -> int | None:
    """Days after its due day a missed reminder of ``rule`` still shows; None: never lapses."""
    configured = lapse_settings(store)
    if rule.name in configured:
        return configured[rule.name]
    own = getattr(rule, "lapse_days", DEFAULT_LAPSE_DAYS)
    # a rule's -3 asked it from three days after the first day shown: its reminder due today
    # never showed, without a word; the rule's plugin's wrong result now (kehu.yaml's own days
    # are refused at their line by LapseDays)
    if own is not None and (isinstance(own, bool) or not isinstance(own, int) or own < 0):
        raise WrongResult(_("its rule {rule} has lapse_days {value}, expected a whole number of days, 0 or more "
                            "(0: only on its due day), or None (never lapses)").format(
            rule=repr(rule.name), value=repr(own)))
    return own


def _first_day(start: dt.date, lapse: int | None) -> dt.date:
    """The first due day a rule is asked for: missed reminders that have not lapsed yet."""
    return start - dt.timedelta(days=_NEVER_LAPSES_LOOKBACK if lapse is None else lapse)



def _histories(store: Store, customer_id: str | None = None) -> dict[str, list[Interaction]]:
    """Interactions per customer from the index (one query), oldest first."""
    out: dict[str, list[Interaction]] = defaultdict(list)
    parse = interaction_adapter.validate_json  # straight from the stored JSON: no dict between
    for cid, data in store.index.histories([customer_id] if customer_id else None):
        out[cid].append(parse(data, context=INDEXED))
    return out


def _needed_histories(store: Store, customer_ids: Sequence[str], needs: HistoryNeeds) -> dict[str, list[Interaction]]:
    """Per customer, oldest first, the interactions ``needs`` asks for (one query)."""
    span = needs.purchases
    rows = store.index.selected_histories(
        customer_ids, purchases_between=(span[0].isoformat(), span[1].isoformat()) if span else None,
        unpaid=needs.unpaid, latest=needs.latest, open_complaints=needs.open_complaints)
    out: dict[str, list[Interaction]] = defaultdict(list)
    parse = interaction_adapter.validate_json
    for cid, data in rows:
        out[cid].append(parse(data, context=INDEXED))
    return out


def due_between(store: Store, start: dt.date, end: dt.date) -> list[Reminder]:
    """Reminders that fall due from ``start`` to ``end`` (both included) and are not done;
    those before today a rep let pass (snoozed ones count on the day they were snoozed to).
    What :func:`due_reminders` gives, through :func:`reminders_for` (the histories the rules
    need only: 9.8 s instead of 32 s for a week of a 10 000-customer store)."""
    return _sorted([r for r in each_due(store, start, end) if start <= r.due <= end])


def each_due(store: Store, start: dt.date, end: dt.date) -> Iterator[Reminder]:
    """:func:`due_reminders`, customer by customer in id order (each customer's in
    :func:`due_reminders`' order), the customers read from the index a part at a time: for a
    caller that writes them as they come or sorts them in parts (``reminder_sorting``), never
    the whole store's customers and reminders at once (388 MB at 10 000 customers)."""
    if not rules(store):
        return
    ids = store.index.ids()  # the ids only (a few MB at 100 000): the profiles a part at a time

    def customers() -> Iterator[Customer]:
        for first in range(0, len(ids), _CHUNK):
            yield from store.index.customers_of(ids[first:first + _CHUNK])

    # a small page cache: the pass reads every history once (kept, it grew with the store)
    with store.index.one_pass():
        for _customer, mine in reminders_for(store, customers(), start, end):
            yield from mine


def _run_rules(
    store: Store,
    rule_list: list[ReminderRule],
    customer: Customer,
    history: list[Interaction],
    start: dt.date,
    end: dt.date,
    *,
    lapse: bool = True,
    state: dict[str, dict[str, Any]] | None = None,
) -> list[Reminder]:
    """Every rule's reminders for one customer (:func:`~kehu_core.reminder_runs.run_rules`): a
    reminder due more than the rule's lapse days (:func:`lapse_of`) before ``start`` has lapsed
    (each rule is asked from that day on). ``lapse=False``: nothing lapses (finding a key);
    ``state`` (the done/snooze entries): a snoozed reminder lapses counting from the day it was
    snoozed to."""
    firsts = _firsts(store, rule_list, start) if lapse else [start] * len(rule_list)
    return run_rules(store, rule_list, [customer], [history], firsts, end, lapse=lapse, state=state)[0]


def due_order(reminder: Reminder) -> tuple[dt.date, str, str, str]:
    """A reminder's place in :func:`due_reminders`' order."""
    return reminder.due, reminder.customer_name, reminder.rule, reminder.key


def _sorted(reminders: list[Reminder]) -> list[Reminder]:
    return sorted(reminders, key=due_order)


def due_reminders(store: Store, start: dt.date, end: dt.date) -> list[Reminder]:
    """Every reminder due from ``start`` to ``end`` (inclusive) that is not done or snoozed past
    ``end``. Ongoing ones (a customer not contacted for too long, an unpaid bill) that fell due
    earlier are included with their original date, so nothing overdue silently disappears."""
    # through reminders_for, the same answers: the histories the rules need only, each rule's
    # first day once (it parsed every interaction of the store and asked every rule's lapse
    # for each customer: 8-9 s at 10 000 customers)
    return _sorted(list(each_due(store, start, end)))


def reminders_of(
    store: Store, customer_id: str, start: dt.date, end: dt.date, *, customer: Customer | None = None
) -> list[Reminder]:
    """:func:`due_reminders` for one customer (pass ``customer`` if it is loaded already)."""
    customer = customer or store.get(customer_id)
    state = states(store, [customer_id])
    history = _histories(store, customer_id).get(customer_id, [])
    found = _run_rules(store, rules(store), customer, history, start, end, state=state)
    return _sorted(apply_state(found, state, end))


def reminders_for(
    store: Store, customers: Iterable[Customer], start: dt.date, end: dt.date, *,
    only: Collection[str] | None = None,
) -> Iterator[tuple[Customer, list[Reminder]]]:
    """:func:`reminders_of` for each of ``customers``, in order, with the same answers: the
    histories of a chunk of customers come from one query, cut down to what the rules declare
    they need (:class:`HistoryNeeds`; the whole history if any rule declares nothing), and
    the done/snooze ledgers are read only for customers that have one. A generator, so a list
    of 100 000 customers never holds every reminder at once. ``only``: just the rules of these
    names (the day's visit plan asks the ``visit`` rule alone)."""
    named = [(plugin, r) for plugin, r in named_rules(store) if only is None or r.name in only]
    rule_list, owners = [r for _plugin, r in named], [plugin for plugin, _r in named]
    needs: HistoryNeeds | None = HistoryNeeds()
    for rule in rule_list:
        asked = _needs_of(store, rule, start, end)
        needs = None if asked is None or needs is None else needs | asked
    ledgered = ledgered_customers(store)
    firsts = _firsts(store, rule_list, start)
    # the plugins whose rules read the others' values of each customer (``values_reads``: the
    # key-account visit reads the tier): those values are computed for a few customers at a
    # time, each plugin asked once for them (customer_values_many), and the rules' asking per
    # customer (PluginHost.values) takes them from what is remembered. Asked once a customer
    # through the plugins' guards, they were a quarter of `kehu reminders`. Not within a
    # remembering of the caller's (the values kept in the index computed plugin by plugin, a
    # list's values_many): there the values are remembered already, or their batch failed.
    # (a rule's ``plugin`` is its own word: one that is no text names no plugin here)
    readers = sorted({plugin for rule in rule_list if type(plugin := getattr(rule, "plugin", rule.name)) is str
                      and store.plugins.values_reads(plugin)})
    given = iter(customers)  # a list, or customers read as they are asked for (each_due)
    while chunk := list(itertools.islice(given, _CHUNK)):
        ids = [c.id for c in chunk]
        histories = _chunk_histories(store, ids) if needs is None else _needed_histories(store, ids, needs)
        state = states(store, [cid for cid in ids if cid in ledgered])
        # the rules run over a part of the chunk at a time, then its customers are given: never
        # a plugin's guards held open at a yield (what the caller prints meanwhile is its own)
        for part in range(0, len(chunk), _RULES_CHUNK):
            few = chunk[part:part + _RULES_CHUNK]
            with store.plugins.remembering() as anew:
                if readers and anew:  # (within another's, that one's caller asked the batches)
                    store.plugins.values_many(store, few, skip=readers)
                found = run_rules(store, rule_list, few, [histories.get(c.id, []) for c in few], firsts, end,
                                  state=state, owners=owners)
            for customer, mine in zip(few, found, strict=True):
                yield customer, _sorted(apply_state(mine, state, end))


def _needs_of(store: Store, rule: ReminderRule, start: dt.date, end: dt.date) -> HistoryNeeds | None:
    """What ``rule`` declares it reads of a history (None: the whole history). A
    ``history_needs`` that raised, called ``sys.exit`` or gave something else than a
    HistoryNeeds (None, a text) ended every rule's reminders: ``kehu reminders`` said "0
    reminders" with exit 0 and no word, ``customer show`` blamed the built-in reminders plugin.
    Now it is reported by its own plugin's name, what it wrote is undone, and its rule gets the
    whole history (its reminders still come)."""
    ask = getattr(rule, "history_needs", None)
    if ask is None:
        return None
    try:
        with store.undo_on_error(), plugin_code(stdout_file=not kehus_own(rule), store=store), \
                store.only_reading(getattr(rule, "plugin", rule.name), f"reminder rule {rule.name}"):
            needs = ask(_first_day(start, lapse_of(store, rule)), end)
            if not isinstance(needs, HistoryNeeds):
                raise WrongResult(_("history_needs returned {kind}, expected HistoryNeeds").format(
                    kind=type(needs).__name__))
    except BaseException as exc:
        if stops_kehu(exc):
            raise
        store.plugins.report(getattr(rule, "plugin", rule.name), f"reminder rule {rule.name}", exc)
        return None
    return needs


def _firsts(store: Store, rule_list: Sequence[ReminderRule], start: dt.date) -> list[dt.date | BaseException]:
    """Each rule's first day (:func:`_first_day`), worked out once for a pass over many
    customers instead of once a customer and rule (100 000 times for a book of 10 000); for a
    rule whose lapse cannot be read (its own ``lapse_days`` property raising), what it raised,
    reported for each customer the rule is asked of, as it would be."""
    firsts: list[dt.date | BaseException] = []
    for rule in rule_list:
        try:
            firsts.append(_first_day(start, lapse_of(store, rule)))
        except BaseException as exc:
            if stops_kehu(exc):
                raise
            firsts.append(exc)
    return firsts


def _chunk_histories(store: Store, customer_ids: Sequence[str]) -> dict[str, list[Interaction]]:
    """Whole histories of a few customers, oldest first (one query)."""
    out: dict[str, list[Interaction]] = defaultdict(list)
    parse = interaction_adapter.validate_json
    for cid, data in store.index.histories(customer_ids):
        out[cid].append(parse(data, context=INDEXED))
    return out


def _find(store: Store, key: str) -> Reminder:
    _rule, cid, _what = parse_key(key)
    customer = store.get(cid)
    today = store.today
    start, end = today - dt.timedelta(days=_LOOKUP_DAYS), today + dt.timedelta(days=_LOOKUP_DAYS)
    history = _histories(store, cid).get(cid, [])
    for reminder in _run_rules(store, rules(store), customer, history, start, end, lapse=False):
        if reminder.key == key:
            return reminder
    raise KehuError(_("no reminder {key} for {name} ({cid}); `kehu reminders` lists the keys").format(
        key=repr(key), name=customer.name, cid=cid))


def mark_done(store: Store, key: str, note: str | None = None, *, kind: str = "note") -> Reminder:
    """Mark a reminder done: a ``done`` ledger entry (so it stops showing) and an interaction
    (``note`` by default, or e.g. ``call``/``visit``) saying what was done."""
    reminder = _find(store, key)
    today = store.today
    # written in the user's language; once written it is the customer's history, kept as it is
    text = _("reminder done: {title}").format(title=reminder.title) + (f" — {note}" if note else "")
    entry: dict[str, Any] = {"date": today, "key": key, "action": "done"}
    if note:
        entry["note"] = note
    with store.lock():
        # asked under the lock that writes it: two at one moment (the TUI's Today and a
        # terminal, two clicks) each found it not done, and both recorded it — two records of
        # one reminder, counted twice by the supervisor's review
        previous = states(store, [reminder.customer_id]).get(key)
        if previous is not None and previous.get("action") == "done":
            raise KehuError(_("reminder {key} was already done on {get}").format(
                key=repr(key), get=previous.get('date')))
        store.add_interaction(reminder.customer_id, {"kind": kind, "date": today, "text": text, "reminder": key})
        store.append_ledger(reminder.customer_id, LEDGER, entry)
    return reminder


def snooze(store: Store, key: str, until: dt.date) -> Reminder:
    """Hide a reminder until ``until`` (after today); it then shows again, due that day."""
    today = store.today
    if until <= today:
        raise KehuError(_("snooze until {until}: expected a day after today ({today})").format(
            until=until, today=today))
    reminder = _find(store, key)
    store.append_ledger(reminder.customer_id, LEDGER, {"date": today, "key": key, "action": "snooze", "until": until})
    return reminder.model_copy(update={"due": until})
