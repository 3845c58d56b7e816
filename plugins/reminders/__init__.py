"""Follow-up reminders (客户回访提醒): greetings and surveys after a purchase, a monthly touch,
solar and lunar birthdays, Chinese holidays, key-account visits by tier, overdue payments and
dormant customers. The engine that runs the rules is ``kehu_core.reminder_engine``.

A plain kehu plugin: only ``kehu_core``'s public API and ``hookimpl``. Settings live under
``plugins: reminders:`` in kehu.yaml (see README "Reminders").
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from kehu_core import hookimpl
from kehu_core.computed_fields import computed_field_messages
from kehu_core.i18n import _
from kehu_core.plugins import Column

if TYPE_CHECKING:
    from kehu_core.models import Customer, Reminder
    from kehu_core.store import Store

    from .settings import RemindersSettings

# The rules, the engine and the cache are imported by the hooks that use them: every command
# that opens a store imports every enabled plugin, and a purchase or an edit asks no reminder
# (~8 ms of each such command). Do the same in a plugin of your own (docs/plugins.md).

#: a customer's next reminder comes from their own history, the day, the settings, and their tier
#: (key-account visits, holiday greetings for some tiers), which a sale of anyone else can move:
#: the index keeps it per customer and recomputes those whose records or tier changed
values_scope = "customer"
values_reads = ("tier",)

HORIZON_DAYS = 366  # a birthday or holiday is always within a year
#: a list's next reminders are looked for over these first days, then over the whole horizon for
#: the customers who have none in them (nearly everyone has one: the monthly touch)
FIRST_LOOK_DAYS = 31


@hookimpl
def reminder_rules(store: Store) -> list[Any]:
    from .rules import enabled_rules

    return list(enabled_rules(store))


def _window(store: Store) -> tuple[dt.date, dt.date]:
    today = store.today
    return today, today + dt.timedelta(days=HORIZON_DAYS)


def _value(upcoming: list[Reminder]) -> dict[str, Any]:
    if not upcoming:
        return {"next_reminder": None}
    first = upcoming[0]
    return {"next_reminder": {"due": first.due.isoformat(), "rule": first.rule, "title": first.title, "key": first.key}}


@hookimpl
def validate_customer(store: Store, customer: Customer) -> list[str] | None:
    # the next reminder is the rules' (customer_values): a profile field of that name would be
    # stored and never shown
    return computed_field_messages(customer, {"next_reminder": _(
        "the reminders plugin finds it from the reminder rules; mark one done or snooze it with "
        "`kehu reminders`")}) or None


@hookimpl
def customer_values(store: Store, customer: Customer) -> dict[str, Any]:
    from kehu_core.reminder_engine import reminders_of

    start, end = _window(store)
    return _value(reminders_of(store, customer.id, start, end, customer=customer))


@hookimpl
def customer_values_many(store: Store, customers: list[Customer]) -> dict[str, dict[str, Any]]:
    """A list's next reminders: those kept since the last change of the records (see
    ``cache``), the others in one pass (:func:`_next_reminders`); the same as customer_values."""
    from . import cache

    start, end = _window(store)
    key = cache.stamp(store, start)
    kept = cache.read(store, key, [c.id for c in customers]) if key else {}
    todo = [c for c in customers if c.id not in kept]
    fresh = _next_reminders(store, todo, start, end) if todo else {}
    if key and fresh:
        cache.write(store, key, fresh)
    return {**kept, **fresh}


def _next_reminders(store: Store, customers: list[Customer], start: dt.date,
                    end: dt.date) -> dict[str, dict[str, Any]]:
    """Each customer's first reminder from ``start`` to ``end``, as ``customer_values`` finds it,
    without making every reminder of the year: the rules run over the first
    :data:`FIRST_LOOK_DAYS` days, then over the whole window for those who have none there.
    The same first reminder, as a rule yields the reminders due by a day whatever the window's
    end (the rules' contract, ``ReminderRule.due``), and done and snooze only drop a reminder
    or move it later: one due in the first days after them is due no earlier in the whole window.
    (The year's ~114 000 reminders of a book of 10 000, made with their titles and amounts,
    were half its CPU.)"""
    from kehu_core.reminder_engine import reminders_for

    near = min(end, start + dt.timedelta(days=FIRST_LOOK_DAYS))
    out: dict[str, dict[str, Any]] = {}
    later: list[Customer] = []
    for customer, upcoming in reminders_for(store, customers, start, near):
        if upcoming:
            out[customer.id] = _value(upcoming)
        else:
            later.append(customer)
    if later and near < end:
        out.update((c.id, _value(upcoming)) for c, upcoming in reminders_for(store, later, start, end))
    else:
        out.update((c.id, _value([])) for c in later)
    return out


def _next(store: Store, customer: Customer) -> str:
    value = customer_values(store, customer)["next_reminder"]
    return f"{value['due']} {value['title']}" if value else ""


@hookimpl
def tui_columns(store: Store) -> list[Column]:
    return [Column("Next", _next, key="next_reminder")]


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import reminders_group

    cli.add_command(reminders_group)


@hookimpl
def settings_model() -> type[RemindersSettings]:
    """``plugins: reminders:`` in kehu.yaml, checked when the store opens and by ``kehu check``
    (asked only of a store whose kehu.yaml has the section: its model is imported then)."""
    from .settings import RemindersSettings

    return RemindersSettings
