"""A customer's days as calendar events: the one home of how kehu makes them, for ``kehu
export --format ics`` and ``kehu serve``'s calendar.

An event is first a :class:`DayEvent`, its parts (uid, day, summary, ...); icalendar's
event is made from it by :meth:`DayEvent.event` when it is written. ``kehu serve`` tells
35 000 events of a rep apart by their parts and makes icalendar's events only for those a
client fetches: making them all was a quarter of the calendar's first build.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..calendar import birthdays, parse_lunar, parse_solar
from ..i18n import _, is_chinese
from ..models import Customer


@dataclass(frozen=True)
class DayEvent:
    """An all-day event that does not make the person busy; ``rrule``: how it recurs, as
    icalendar takes it (None: once)."""

    uid: str
    day: dt.date
    summary: str
    description: str | None = None
    rrule: tuple[tuple[str, Any], ...] | None = None

    def event(self) -> Any:
        """The event as icalendar's."""
        from icalendar import Event

        event = Event()
        event.add("uid", self.uid)
        event.add("dtstart", self.day)
        event.add("dtend", self.day + dt.timedelta(days=1))
        event.add("summary", self.summary)
        event.add("transp", "TRANSPARENT")
        if self.description:
            event.add("description", self.description)
        if self.rrule is not None:
            event.add("rrule", dict(self.rrule))
        return event


def day_event(uid: str, day: dt.date, summary: str, description: str | None = None) -> Any:
    """An all-day event (icalendar) that does not make the person busy."""
    return DayEvent(uid, day, summary, description).event()


def birthday_days(customer: Customer, first_year: int, last_year: int) -> list[DayEvent]:
    """A customer's birthdays as events, on kehu_core.calendar's rules (docs/calendar.md).

    A solar birthday is one yearly event. 29 February recurs as the last day of February
    (``BYMONTH=2;BYMONTHDAY=-1``): the 28th in a common year, as the reminders and segments
    have it; a plain ``FREQ=YEARLY`` from 02-29 shows only in leap years. A lunar birthday
    moves against the solar calendar, so each of its days in ``first_year``..``last_year`` is
    a dated event of its own (two in a year where 腊月 falls in January and December).
    """
    events = []
    if customer.birthday:
        solar = parse_solar(customer.birthday)
        # a year-less birthday starts in 2000, a leap year, so --02-29 is a real first day
        start = dt.date(solar.year or 2000, solar.month, solar.day)
        leap_day = (solar.month, solar.day) == (2, 29)
        rrule = (("freq", "yearly"), ("bymonth", 2), ("bymonthday", -1)) if leap_day else (("freq", "yearly"),)
        events.append(DayEvent(f"birthday-{customer.id}@kehu", start,
                               _("{name}'s birthday").format(name=customer.name), _contact_line(customer), rrule))
    if customer.lunar_birthday:
        lunar = parse_lunar(customer.lunar_birthday)
        # 闰四月初十 in Chinese; 04-10 (leap 04-10) in English
        shown = lunar.chinese if is_chinese() else (_("leap {day}") if lunar.leap else "{day}").format(
            day=f"{lunar.month:02d}-{lunar.day:02d}")
        window = dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
        for birthday in birthdays(None, customer.lunar_birthday, *window):
            events.append(DayEvent(f"lunar-birthday-{customer.id}-{birthday.day:%Y%m%d}@kehu", birthday.day,
                                   _("{name}'s lunar birthday ({day})").format(name=customer.name, day=shown),
                                   _contact_line(customer)))
    return events


def birthday_events(customer: Customer, first_year: int, last_year: int) -> list[Any]:
    """:func:`birthday_days` as icalendar's events."""
    return [day.event() for day in birthday_days(customer, first_year, last_year)]


def _contact_line(customer: Customer) -> str | None:
    parts = [*customer.phones[:1], *customer.emails[:1]]
    return " · ".join(parts) or None


def reminder_day(reminder: Any) -> DayEvent:
    """A reminder (kehu_core.reminder_engine) as an all-day event on its due day."""
    return DayEvent(f"reminder-{reminder.key}@kehu", reminder.due, f"{reminder.customer_name}: {reminder.title}",
                    reminder.detail)


def reminder_event(reminder: Any) -> Any:
    """:func:`reminder_day` as icalendar's event."""
    return reminder_day(reminder).event()
