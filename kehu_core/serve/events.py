"""The read-only calendar of a rep (a supervisor: of everyone): what kehu says is coming.

* reminders due in the next :data:`DAYS` days, from the reminder engine
  (:mod:`kehu_core.reminder_engine`): touches, holiday greetings (节日问候), planned visits to
  key accounts, dormant customers, unpaid bills ... each on its due day;
* birthdays, from :mod:`kehu_core.calendar` through the .ics export's own events
  (:func:`kehu_core.services.day_events.birthday_days`): a solar birthday recurs yearly, a lunar
  one is a dated event on its solar day in each of this year and the next :data:`YEARS`;
* complaint deadlines (:mod:`kehu_core.complaints`): the moment an open complaint must be
  answered or an acknowledged one resolved;
* a rep's planned visits (:mod:`kehu_core.visits.plan`, ``kehu visits plan``): today's plan,
  and the plan of each later day the rep has planned (``visits/REP/DATE.yaml``).

Each event is one calendar object of its own (one ``.ics`` in the collection). An event is
told apart by its parts (:class:`kehu_core.services.day_events.DayEvent`); icalendar's event
and its text are made only when a client fetches it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..i18n import _
from ..services.contentlines import ical_bytes

if TYPE_CHECKING:
    from ..store import Store
    from .scope import Scope

DAYS = 14  # reminders this many days ahead: a rep's phone, not the whole year's work
YEARS = 3
_BIRTHDAY_RULES = ("birthday", "lunar-birthday")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]+")
_TEXT_LOCK = threading.Lock()
_PAUSE_EVERY = 200  # customers (~50 ms of the reminder rules)


@dataclass
class CalendarItem:
    """One event of the calendar. Its revision is made from what the event says; icalendar's
    event (``make()``) and its text (~1 ms an event) only when a client fetches it."""

    href: str
    uid: str
    revision: str
    make: Callable[[], Any]
    stamp: dt.datetime
    _text: str | None = None

    @property
    def text(self) -> str:
        with _TEXT_LOCK:  # the calendar is shared by the threads answering requests
            return self._make_text()

    def _make_text(self) -> str:
        if self._text is None:
            from icalendar import Calendar

            event = self.make()
            event.add("dtstamp", self.stamp)
            calendar = Calendar()
            calendar.add("prodid", "-//kehu//kehu serve//ZH")
            calendar.add("version", "2.0")
            calendar.add_component(event)
            self._text = ical_bytes(calendar).decode("utf-8")
        return self._text


def _revision(event: Any) -> str:
    """The revision of an icalendar event (a complaint's deadline), from what it says."""
    parts = [f"{key}={getattr(value, 'dt', value)!r}" for key, value in sorted(event.items())]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()


def calendar_items(store: Store, scope: Scope, pause: Callable[[], None] | None = None) -> list[CalendarItem]:
    """Every event of the login's calendar. The reminder rules run twice over the customers
    (what is due, and the day's visit plan): each plugin's values of a customer (the tier a
    key-account visit asks for, and the points it is made from) are computed once for both.
    ``pause``: called every few hundred customers (the warm-up making way for requests)."""
    from ..services.derived_values import kept_values

    pause = pause or (lambda: None)
    customers = [row.customer for row in store.index.list(owner=scope.owner, order="id")]
    if store.plugins is None:
        return _calendar_items(store, scope, customers, pause)
    # the values the address book computed (the tier of every customer, asked for by the
    # key-account visits) are not computed again
    with store.plugins.remembering(kept_values(store, [c.id for c in customers])):
        return _calendar_items(store, scope, customers, pause)


def _calendar_items(store: Store, scope: Scope, customers: list[Any], pause: Callable[[], None]
                    ) -> list[CalendarItem]:
    from ..complaints import complaints
    from ..reminder_engine import reminders_for
    from ..services.day_events import birthday_days, reminder_day

    today = store.today
    days = []
    for number, customer in enumerate(customers):
        if number % _PAUSE_EVERY == 0:
            pause()
        days += birthday_days(customer, today.year, today.year + YEARS)
    end = today + dt.timedelta(days=DAYS)
    for number, (_customer, reminders) in enumerate(reminders_for(store, customers, today, end)):
        if number % _PAUSE_EVERY == 0:
            pause()
        days += [reminder_day(r) for r in reminders if r.rule not in _BIRTHDAY_RULES]
    pause()
    if scope.owner is not None:
        days += _visit_days(store, scope.owner)
    stamp = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)  # time is data: the store's day
    items = [CalendarItem(_UNSAFE.sub("_", day.uid) + ".ics", day.uid,
                          hashlib.sha1(repr(day).encode()).hexdigest(), day.event, stamp) for day in days]
    for view in complaints(store, open_only=True, owner=scope.owner):
        for event in _deadline_events(view):
            uid = str(event["uid"])
            items.append(CalendarItem(_UNSAFE.sub("_", uid) + ".ics", uid, _revision(event),
                                      lambda event=event: event, stamp))
    return items


def planned_days(store: Store, owner: str) -> list[tuple[str, int]]:
    """The rep's plan files from today on (name, mtime): what a kept calendar depends on
    besides the records (plan files are not in the index)."""
    from ..errors import KehuError
    from ..visits.planfile import plan_path

    try:
        folder = plan_path(store, owner, store.today).parent
    except KehuError:
        return []
    if not folder.is_dir():
        return []
    first = f"{store.today.isoformat()}.yaml"
    return sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.yaml") if p.name >= first)


def _visit_days(store: Store, owner: str) -> list[Any]:
    from ..errors import KehuError
    from ..services.day_events import DayEvent
    from ..visits.plan import make_plan

    last = store.today + dt.timedelta(days=DAYS)
    days = {store.today} | {dt.date.fromisoformat(name[:-5]) for name, _ in planned_days(store, owner)
                            if name[:-5] <= last.isoformat()}
    events = []
    for day in sorted(days):
        try:
            plan = make_plan(store, owner, day)
        except KehuError:  # the plan cannot be made (a broken plan file): kehu visits plan says why
            continue
        for number, visit in enumerate(plan.visits, 1):
            why = "; ".join(reason.text for reason in visit.reasons) or None
            events.append(DayEvent(f"visit-{day:%Y%m%d}-{visit.customer.id}@kehu", day,
                                   _("visit {number}/{count}: {name}").format(
                                       number=number, count=len(plan.visits), name=visit.customer.name), why))
    return events


def _deadline_events(view: Any) -> list[Any]:
    from icalendar import Event

    deadline = view.next_deadline
    if deadline is None:
        return []
    event = Event()
    event.add("uid", f"complaint-{view.customer_id}-{view.complaint.id}-{view.state}@kehu")
    event.add("dtstart", deadline)
    event.add("dtend", deadline + dt.timedelta(minutes=30))
    summary = (_("{name}: deadline to answer the complaint") if view.state == "open"
               else _("{name}: deadline to resolve the complaint"))
    event.add("summary", summary.format(name=view.customer_name))
    if view.complaint.text:
        event.add("description", view.complaint.text)
    return [event]
