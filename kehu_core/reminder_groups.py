"""The groups of Today and ``kehu reminders``: every reminder belongs to one of :data:`GROUPS`
(complaints first, then payments, key-account visits, birthdays and holidays, greetings and
surveys, keeping in touch), from :data:`RULE_GROUPS` or the rule's ``group``; a day's list
takes of each group what one person finishes in a day (:func:`day_list`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .i18n import N_, _
from .models import Reminder

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Group:
    key: str
    label: str  # English, marked for the catalog: shown through title()
    per_day: int  # how many of these one person gets through in a day (docs/reminders.md)

    def title(self) -> str:
        """The group's name in the user's language."""

        return _(self.label)


#: what matters first comes first: Today and ``kehu reminders`` show the groups in this order
GROUPS: tuple[Group, ...] = (
    Group("complaints", N_("complaints due"), 12),
    Group("payments", N_("payments overdue"), 15),
    Group("visits", N_("key-account visits"), 4),
    Group("occasions", N_("birthdays and holidays"), 8),
    Group("follow_ups", N_("greetings and surveys"), 15),
    Group("contact", N_("keeping in touch"), 3),
    Group("other", N_("other"), 3),
)
#: a day's work: what one person finishes in a day, every group full (docs/reminders.md)
DAY_CAPACITY = sum(g.per_day for g in GROUPS)
GROUP_ORDER = {g.key: i for i, g in enumerate(GROUPS)}
GROUP_LABELS = {g.key: g.label for g in GROUPS}  # English: Group.title() translates
_PER_DAY = {g.key: g.per_day for g in GROUPS}
#: the one rule -> group mapping; a rule not named here may say ``group = "..."`` (else "other")
RULE_GROUPS: dict[str, str] = {
    "complaint": "complaints",
    "overdue": "payments",
    "visit": "visits",
    "birthday": "occasions", "lunar-birthday": "occasions", "holiday": "occasions", "anniversary": "occasions",
    "greeting": "follow_ups", "survey": "follow_ups",
    "touch": "contact", "dormant": "contact",
}


def group_of(reminder: Reminder, rule: object = None) -> str:
    """The group a reminder is shown in (:data:`RULE_GROUPS`, else the rule's ``group``)."""
    if reminder.rule in RULE_GROUPS:
        return RULE_GROUPS[reminder.rule]
    declared = getattr(rule, "group", None)
    return declared if declared in GROUP_ORDER else "other"


def group_order(reminder: Reminder) -> tuple[int, dt.date, str, str, str]:
    """The place of ``reminder`` in :func:`by_group`'s order (``reminder_sorting`` sorts by it
    a list too long to hold)."""
    return (GROUP_ORDER.get(reminder.group or group_of(reminder), len(GROUPS)),
            reminder.due, reminder.customer_name, reminder.rule, reminder.key)


def by_group(reminders: Iterable[Reminder]) -> list[Reminder]:
    """Most important group first, then the earliest due, as Today and ``kehu reminders`` show them."""
    return sorted(reminders, key=group_order)


def group_counts(reminders: Iterable[Reminder]) -> list[tuple[Group, int]]:
    """(group, how many) for the groups that have any, in :data:`GROUPS` order."""
    counts: dict[str, int] = defaultdict(int)
    for r in reminders:
        counts[r.group or group_of(r)] += 1
    return [(g, counts[g.key]) for g in GROUPS if counts[g.key]]


@dataclass(frozen=True)
class DayList:
    """A day's work: what is due by ``day`` (overdue first within each group), each group cut
    to what one person finishes in a day (``Group.per_day``); ``waiting`` the rest of each
    group, shown tomorrow unless it lapses first."""

    day: dt.date
    reminders: list[Reminder]
    counts: list[tuple[Group, int, int]]  # (group, on the list, due in all) for groups with any

    @property
    def waiting(self) -> int:
        return sum(total - shown for _, shown, total in self.counts)


def day_list(reminders: Iterable[Reminder], day: dt.date) -> DayList:
    """:class:`DayList` of ``reminders`` (e.g. :func:`due_reminders`) for ``day``."""
    return day_list_of(by_group(r for r in reminders if r.due <= day), day)


def day_list_of(ordered: Iterable[Reminder], day: dt.date) -> DayList:
    """:func:`day_list` of reminders in :func:`by_group`'s order, read once, holding only what
    the list shows (``kehu reminders --day-list`` of a store's every overdue bill)."""
    shown: list[Reminder] = []
    totals: dict[str, int] = defaultdict(int)
    for r in ordered:
        if r.due > day:
            continue
        group = r.group or group_of(r)
        totals[group] += 1
        if totals[group] <= _PER_DAY.get(group, 0):
            shown.append(r)
    counts = [(g, min(totals[g.key], g.per_day), totals[g.key]) for g in GROUPS if totals[g.key]]
    return DayList(day, shown, counts)
