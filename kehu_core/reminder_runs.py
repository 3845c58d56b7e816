"""Running reminder rules over customers, guarded (:func:`run_rules`), for the reminder engine
(:mod:`kehu_core.reminder_engine`, which says which rules, from which day, over whose history).

A rule is a plugin's code: what it prints goes to stderr, its ``os._exit`` and ``sys.exit`` are
its failure, the working folder and the environment it changes are put back
(:func:`~kehu_core.plugin_code.plugin_code`), a write of its is refused (``Store.only_reading``) and
what it wrote before failing undone (``Store.undo_on_error``), and what it yields is checked
reminder by reminder. A failure is reported by the rule's plugin's name, and the other rules
(and the rule for the other customers) still run.

The guards a rule runs in are set up once for the customers of a pass (a few hundred at a time)
rather than once for each customer: setting them up took a fifth of `kehu reminders` of a book
of 10 000 customers (100 000 times, once a customer and rule). What a rule changes of the
process (the working folder, the environment) it finds again with its next customer, never
another rule: each rule's customers run in a block of their own, put back when it ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

from .i18n import _
from .models import CONTROL_CHARACTERS, Customer, Interaction, Reminder, one_line_problem
from .plugin_code import kehus_own, plugin_code, stops_kehu
from .plugins import WrongResult
from .plugins.guards import giving_to
from .reminder_groups import group_of
from .reminder_state import snoozed_to

if TYPE_CHECKING:
    from .plugins import ReminderRule
    from .store import Store


#: what one rule may give for one customer, besides one a day of the window and one an
#: interaction of the history (a reminder per unpaid purchase): a rule whose ``due`` yields
#: without end (a loop that forgot its stop) took 16 GB in a minute and was never done
MAX_REMINDERS = 10_000

_CONTROLS = frozenset(CONTROL_CHARACTERS)


def own_key(reminder: Reminder, name: str, names: Collection[str]) -> bool:
    """Whether ``reminder``, yielded by the rule ``name`` (of the rules named ``names``), has a
    key ``RULE:CUSTOMER_ID:ANCHOR`` of its own rule and customer, as the hookspec documents, its
    rule being ``name`` or one of its own no other rule is named (the birthday rule gives
    `lunar-birthday` reminders). Done and snooze are stored by key: a plugin's key `hello` could
    never be marked done (``reminder_engine.parse_key`` refuses it), one the built-in birthday
    reminder has was marked done with it, and one naming another customer marked that customer's."""
    rule = reminder.rule
    if ":" in rule or not rule or rule != name and rule in names:
        return False
    anchor = reminder.key.removeprefix(f"{rule}:{reminder.customer_id}:")
    return anchor != reminder.key and bool(anchor)


def run_rules(
    store: Store,
    rule_list: Sequence[ReminderRule],
    customers: Sequence[Customer],
    histories: Sequence[list[Interaction]],
    firsts: Sequence[dt.date | BaseException],
    end: dt.date,
    *,
    lapse: bool = True,
    state: dict[str, dict[str, Any]] | None = None,
    owners: Sequence[str] | None = None,
) -> list[list[Reminder]]:
    """Every rule's reminders for each of ``customers`` (with ``histories``, in order), in rule
    order. ``firsts``: each rule's first day, or what its lapse raised (then reported for each
    customer it is asked of). ``owners``: the plugin that gave each rule; a third party's rules
    then share one copy of each customer and history (:func:`_handing`), else each rule gets
    copies of its own. Engine rules hold for every plugin's rules: a customer marked
    ``do_not_contact`` gets nothing from an outreach rule (every rule unless it says ``outreach
    = False``, like the overdue-bill reminder); each reminder gets its group; a rule that raises
    (or calls ``sys.exit``) or yields something else than a Reminder of this customer is
    reported by its plugin's name and the other rules still run. ``lapse``: a reminder due
    before its rule's first day (``state``, the done/snooze entries: a snoozed one, counting
    from the day it was snoozed to) is left out."""
    out: list[list[Reminder]] = [[] for _customer in customers]
    names = tuple(rule.name for rule in rule_list)
    copies: dict[tuple[str, Any], list[tuple[Customer, list[Interaction]] | None]] = {}
    for n, (rule, first) in enumerate(zip(rule_list, firsts, strict=True)):
        plugin, where = getattr(rule, "plugin", rule.name), f"reminder rule {rule.name}"
        given = _handing(rule, owners[n] if owners is not None else None, copies, len(customers))
        # what it prints goes to stderr, as for a hook; a rule only answers, as a hook that
        # only reads: a write of its is refused (a line a day)
        with plugin_code(stdout_file=not kehus_own(rule), store=store), store.only_reading(plugin, where):
            _run_rule(store, rule, (plugin, where), names, customers, histories, given, first, end, lapse,
                      state, out)
    return out


_Handed = Callable[[int, Customer, list[Interaction]], tuple[Customer, list[Interaction]]]


def _handing(rule: ReminderRule, owner: str | None,
             copies: dict[tuple[str, Any], list[tuple[Customer, list[Interaction]] | None]], count: int) -> _Handed:
    """What ``rule`` is handed of the ``n``-th customer and history (``plugins.guards.giving_to``:
    a third party's rule its own copies, kehu's the originals). Given its plugin (``owner``),
    the copies are that plugin's, made once for all its rules, as one call of a hook gets its
    own: what a plugin's rule changes is seen by none of another plugin's rules nor by kehu. A
    copy for each rule of each customer was 93 % of `kehu reminders` with a plugin of 50 rules
    (114 s of CPU at 10 000 customers)."""
    give = giving_to(rule)
    if owner is None:
        return lambda _n, customer, history: (give(customer), give(history))
    kept = copies.setdefault((owner, give), [None] * count)

    def handed(n: int, customer: Customer, history: list[Interaction]) -> tuple[Customer, list[Interaction]]:
        pair = kept[n]
        if pair is None:
            pair = kept[n] = (give(customer), give(history))
        return pair
    return handed


def _run_rule(store: Store, rule: ReminderRule, named: tuple[str, str], names: Sequence[str],
              customers: Sequence[Customer], histories: Sequence[list[Interaction]], given: _Handed,
              first: dt.date | BaseException, end: dt.date, lapse: bool, state: dict[str, dict[str, Any]] | None,
              out: list[list[Reminder]]) -> None:
    """One rule over the customers, within its guards (:func:`run_rules`); ``named``: its
    plugin and where it failed, as reported; ``given``: what it is handed (:func:`_handing`)."""
    plugin, where = named
    outreach: bool | None = None
    theirs = not kehus_own(rule)
    for n, (customer, history, mine) in enumerate(zip(customers, histories, out, strict=True)):
        if customer.do_not_contact:
            if outreach is None:
                outreach = bool(getattr(rule, "outreach", True))
            if outreach:
                continue
        if isinstance(first, BaseException):
            store.plugins.report(plugin, where, first)
            continue
        try:
            with store.undo_on_error():  # what a failing rule wrote is taken back
                found = _checked(store, rule, names, customer, *given(n, customer, history),
                                 MAX_REMINDERS + len(history) + (end - first).days, first, end, theirs)
        except BaseException as exc:  # one broken rule must not hide every other reminder
            if stops_kehu(exc):
                raise
            store.plugins.report(plugin, where, exc)
            continue
        for reminder in found:
            # an ongoing condition gives the day it first fell due, maybe long ago
            if not lapse or snoozed_to(state, reminder) >= first:
                reminder.group = group_of(reminder, rule)
                mine.append(reminder)


def _checked(store: Store, rule: ReminderRule, names: Sequence[str], customer: Customer, given: Customer,
             past: list[Interaction], most: int, first: dt.date, end: dt.date, theirs: bool) -> list[Reminder]:
    """What ``rule`` yields for ``customer`` (given as ``given``, ``past``), each reminder
    checked as it comes; WrongResult at the first wrong one. ``theirs``: a third party's rule,
    whose each reminder is kehu's own copy as it comes — one Reminder it yielded again for each
    customer, changed (an object it reuses), made every customer's reminder the last one's:
    `kehu reminders` listed 丙's three times, 甲's and 乙's lost."""
    found = []
    for reminder in rule.due(store, given, past, first, end):
        if not isinstance(reminder, Reminder) or reminder.customer_id != customer.id:
            raise WrongResult(_("yielded {reminder}, expected Reminder objects of customer {id}").format(
                reminder=f"{reminder!r:.80}", id=customer.id))
        if theirs:
            reminder = reminder.model_copy()
        # one line each in `kehu reminders` and Today: a title or key holding a line
        # break drew a reminder line of the rule's making ("转账到 6222-…")
        lines = [name for name in ("title", "key", "rule") if not getattr(reminder, name).isprintable()]
        detail = reminder.detail  # shown on a line of its own: no break, no control character
        # (printable text holds neither: asked first, in C, of each of 16 000 details a list)
        if detail and not detail.isprintable() and (one_line_problem(detail) or not _CONTROLS.isdisjoint(detail)):
            lines.append("detail")
        if lines:
            raise WrongResult(_("yielded a reminder whose {fields} is not one line of printable text: "
                                "{reminder}").format(fields=", ".join(lines), reminder=f"{reminder!r:.99}"))
        if not own_key(reminder, rule.name, names):
            raise WrongResult(_("yielded a reminder of rule {rule} and key {key}, expected a key "
                                "RULE:{id}:ANCHOR of its own rule, which no other rule is named (done and "
                                "snooze are stored by key)").format(
                rule=repr(reminder.rule), key=repr(reminder.key), id=customer.id))
        found.append(reminder)
        if len(found) > most:
            raise WrongResult(_("yielded more than {most} reminders for customer {id} (no end?)").format(
                most=most, id=customer.id))
    return found
