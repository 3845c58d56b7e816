"""What a plugin's author uses: the objects hooks hand back (:class:`ReminderRule`,
:class:`Column`, :class:`Panel`, :class:`Importer` ...) and the helpers for a plugin's own
settings and commands (:func:`plugin_settings`, :func:`require_enabled`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel

from ..errors import KehuError
from ..i18n import _
from ..models import Customer, Reminder

if TYPE_CHECKING:
    from ..reminder_engine import HistoryNeeds
    from ..store import Store

SettingsT = TypeVar("SettingsT", bound=BaseModel)


class ReminderRule(Protocol):
    """A follow-up rule, handed over by the ``reminder_rules`` hook: "greet 2 days after a
    purchase", "visit a key account every 90 days".

    Everything the reminder engine (:mod:`kehu_core.reminder_engine`) reads from a rule is declared
    here. ``name`` and ``due`` are required; ``plugin``, ``outreach``, ``lapse_days``, ``group``
    and ``history_needs`` are optional (the engine reads them with ``getattr`` and the default each one names), so a
    rule may leave them out, or subclass this Protocol to say it is a rule. The engine, not
    the rule, applies what holds for every rule: done and snoozed reminders are hidden, missed
    ones lapse after ``lapse_days``, an outreach rule gives nothing for a customer marked
    ``do_not_contact``, and the day is the store's (``store.today``), never the clock's.
    """

    name: str
    """The rule's id: the first part of its reminders' keys (``RULE:CUSTOMER_ID:ANCHOR``), what
    ``kehu reminders --rule NAME`` selects, and how a failing rule is named. Unique per store."""

    plugin: str
    """Optional: the name of the plugin the rule comes from, under which its failures are
    reported (``kehu plugins``, the TUI's notification). Default: ``name``."""

    outreach: bool
    """Optional: True (the default) if the rule's reminders contact the customer (a greeting, a
    visit), so the engine gives none for a customer marked ``do_not_contact``; False for
    reminders that are not outreach (an overdue bill to chase internally)."""

    lapse_days: int | None
    """Optional: how many days after its due day a missed reminder of the rule still shows;
    after that it lapses (a greeting a year late is worth nothing). ``None``: never lapses (an
    overdue bill); ``0``: only on its due day. Anything else (a negative number, a bool, a
    string, a fraction) is the plugin's wrong result: the rule is reported as failing and gives
    nothing. ``plugins: reminders: lapse_days: {NAME: N}`` in kehu.yaml overrides it.
    Default: ``kehu_core.reminder_engine.DEFAULT_LAPSE_DAYS``. The engine asks ``due`` for the
    window starting that many days before the list's first day and drops what is older."""

    group: str
    """Optional: which of Today's groups (``kehu_core.reminder_engine.GROUPS``: complaints, payments,
    visits, occasions, follow_ups, contact) the rule's reminders belong to, for a rule name
    ``kehu_core.reminder_engine.RULE_GROUPS`` does not know. Default: ``other`` (shown last)."""

    history_needs: Callable[[dt.date, dt.date], HistoryNeeds] | None
    """Optional: ``history_needs(start, end)`` returns the
    :class:`~kehu_core.reminder_engine.HistoryNeeds` (the part of a customer's history ``due``
    looks at for that window), so listing many customers reads only that from the index.
    ``due`` must then give the same reminders from any history holding at least those
    interactions. Missing (or None): ``due`` gets each customer's whole history."""

    def due(
        self, store: Store, customer: Customer, history: list[Any], start: dt.date, end: dt.date
    ) -> Iterable[Reminder]:
        """The reminders of ``customer`` falling due from ``start`` to ``end`` (inclusive).

        ``history`` is the customer's interactions (``kehu_core.models`` Purchase, Visit ...),
        oldest first. Each :class:`~kehu_core.models.Reminder` has ``rule=self.name`` and a
        ``key`` ``NAME:CUSTOMER_ID:ANCHOR`` that stays the same while it is the same reminder
        (done and snooze are stored by key; the anchor is what it is about: a purchase id,
        a date). A rule that raises is reported by its plugin's name; the others still run.

        What is due by a day does not depend on how far the window reaches: asked for a
        shorter ``end``, ``due`` gives the same reminders due by that ``end`` (the same keys,
        titles and details), only without those due later. (A reminder due before ``start``,
        an ongoing condition, may be given; the engine decides whether it still shows.) A
        customer's next reminder is looked for over a month first, and over the year only
        if none is due in that month.
        """
        ...


@dataclass
class Column:
    title: str
    value: Callable[[Store, Customer], Any]
    key: str = ""


@dataclass
class Panel:
    title: str
    render: Callable[[Store, Customer], Any]
    shows: tuple[str, ...] = ()
    """Values (``customer_values`` keys) and ledgers the panel already shows: the TUI's
    values card leaves them out, so nothing is on the customer screen twice."""


@dataclass
class ImportedContact:
    """One contact read from a file, before it is merged into the store."""

    source: str  # "file.vcf:12"
    fields: dict[str, Any]
    purchases: list[dict[str, Any]] = field(default_factory=list)
    #: what the source holds that no field takes, kept under ``import_extra``: texts, finite
    #: numbers, dates, and lists and dicts (by name) of them (anything else: the importer's
    #: wrong result, named, nothing of the file imported)
    extra: dict[str, Any] = field(default_factory=dict)
    #: where a field's value was read, for a message about it (optional): ``{"birthday": "sheet
    #: 'Sheet1' cell D7 (生日)"}`` makes a wrong birthday ``file.xlsx:7: sheet 'Sheet1' cell D7
    #: (生日): birthday ...``; a sale's under ``purchase.`` and its key (``purchase.date``); an
    #: item of a list its own (``phones[1]``: a vCard's second TEL line)
    places: dict[str, str] = field(default_factory=dict)


class Importer(Protocol):
    name: str

    def detect(self, path: Path, head: bytes) -> bool: ...

    def read(self, path: Path, store: Store) -> Iterable[ImportedContact]: ...


class Exporter(Protocol):
    name: str

    def write(self, store: Store, customers: list[Customer], out: Path) -> int: ...


class MessageSender(Protocol):
    channel: str

    def send(self, store: Store, customer: Customer, subject: str, body: str) -> str: ...


def plugin_settings(store: Store, name: str, model: type[SettingsT]) -> SettingsT:
    """A plugin's ``plugins: <name>:`` settings from kehu.yaml, validated by ``model``.

    Bad settings raise ``RecordError`` naming kehu.yaml, the line and the field, e.g.
    ``kehu.yaml:9: plugins.points.expiry_days: Input should be a valid integer``.
    The result is cached per store, so hooks called once per customer pay for it once.
    """
    return store.plugins.settings_model(name, model)


def require_enabled(store: Store, name: str) -> None:
    """For a plugin's own CLI commands: refuse clearly when kehu.yaml disabled the plugin."""
    if name not in store.plugins.names():
        raise KehuError(
            _("the {name} plugin is not enabled for {root} (see `plugins:` in kehu.yaml)").format(
                name=repr(name), root=store.root)
        )
