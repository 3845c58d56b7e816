"""The one place kehu reads the system date and time.

Time is data: every command, service, plugin and report takes ``today`` from the store
(``store.today``) or from its caller, never from the wall clock. The store's day is, first found:

1. ``--today YYYY-MM-DD`` on the command line (or ``today=`` passed to ``open_store``),
2. the ``KEHU_TODAY`` environment variable,
3. ``today:`` in kehu.yaml (a demo or a training store frozen at its own date),
4. the system date.

Timestamps (when a message was sent, when a change was recorded) come from :func:`now`. On a
fixed day (1-3 above) the moment is that day at :data:`FIXED_TIME`, in every process and at any
real hour: a clock read on the fixed day would wrap at real midnight (a complaint received at
23:59 and acknowledged at 00:00:01 would be acknowledged before it arrived), and two processes
either side of midnight would disagree about the order of what they did.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import unicodedata

from .errors import KehuError
from .i18n import _

ENV_TODAY = "KEHU_TODAY"

#: The dates kehu keeps (a purchase, a payment, a due date, a ledger entry, ``--today``): a
#: year outside these is a typo (9999-12-31, 0001-01-01) that would overflow date arithmetic
#: (a due date 30 days later, a points expiry a year later) in every later command.
EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2199, 12, 31)

#: The time of day of every moment on a fixed day (see the module docstring): midday, far from
#: either midnight in every time zone's local time, so it never crosses the date.
FIXED_TIME = dt.time(12, 0)


def day_range_problem(day: dt.date) -> str | None:
    """What is wrong with ``day`` as a date kehu keeps (None: nothing); the one range rule."""
    if EARLIEST_DAY <= day <= LATEST_DAY:
        return None
    return outside_kept_dates(day.isoformat())


def outside_kept_dates(day: str) -> str:
    """The message of :func:`day_range_problem` for ``day`` as written: also for a year no date
    holds (``0000-01-01``, a birthday's year 0)."""
    return _("{day} is outside the dates kehu keeps ({earliest} to {latest})").format(
        day=day, earliest=EARLIEST_DAY.isoformat(), latest=LATEST_DAY.isoformat())


def system_today() -> dt.date:
    """The machine's date: the only read of the wall clock's day in kehu."""
    return dt.date.today()


def latest_written_day(today: dt.date) -> dt.date:
    """The last day a record can have been written on, seen from a store working at ``today``:
    that day, or the machine's when later (a run at an earlier ``--today`` sees what was written
    since, at the real day). Only for a warning of a day after it (``kehu check`` of a profile's
    ``created``: a typo, never a record of the time travelled from), never as the store's day."""
    return max(today, system_today())


def system_seconds() -> float:
    """Seconds since the epoch from the machine's clock, for mechanics rather than data (a new
    id's sortable prefix, how long ago the index looked at the files): the only read of it."""
    return time.time()


def seconds_to_next_day() -> float:
    """Seconds until the machine's next day begins (local midnight): when a process that runs
    for days (``kehu serve``) next looks whether its day has changed."""
    moment = dt.datetime.now()
    return (dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time()) - moment).total_seconds()


_TYPED_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)


def typed_day(text: str) -> dt.date | None:
    """A day as a person types it to kehu (``--today``, ``KEHU_TODAY``, every date option):
    ``2026-11-01``, ``2026/11/1``, in full-width digits too; None when it is no day. One rule for
    every door: ``--today`` took ``20261101`` and ``2026-W44-1`` (Python's ISO reader) and refused
    ``2026/11/1``, which ``--date`` took, and the other way round."""
    typed = unicodedata.normalize("NFKC", str(text)).strip().replace("/", "-")
    match = _TYPED_DAY.fullmatch(typed)
    if match is None:
        return None
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        return None


def read_day(text: str) -> dt.date | str:
    """The day ``text`` types (:func:`typed_day`), or what is wrong with it: no day at all, or
    one outside the dates kehu keeps. The one answer of every door a day is typed at
    (``--today``, ``KEHU_TODAY``, every date option, the TUI's date fields)."""
    day = typed_day(text)
    if day is None:
        return _("{value} is not a date; expected YYYY-MM-DD").format(value=repr(text))
    return day_range_problem(day) or day


def parse_day(text: str, *, source: str = "--today") -> dt.date:
    """``YYYY-MM-DD`` (:func:`read_day`) as a date, or a message naming where the bad value came from."""
    day = read_day(text)
    if isinstance(day, str):
        raise KehuError(_("{field}: {text}").format(field=source, text=day))
    return day


def resolve_today(explicit: dt.date | str | None = None, configured: dt.date | None = None) -> dt.date:
    """The day a store works with (see the module docstring for the order)."""
    if isinstance(explicit, dt.date):
        return explicit
    if explicit:
        return parse_day(explicit)
    env = os.environ.get(ENV_TODAY, "").strip()
    if env:
        return parse_day(env, source=ENV_TODAY)
    if configured is not None:
        return configured
    return system_today()


def day_is_fixed(explicit: dt.date | str | None = None, configured: dt.date | None = None) -> bool:
    """Whether the store's day is set (``--today``, ``KEHU_TODAY``, ``today:``) rather than
    the system date; the same order as :func:`resolve_today`."""
    return bool(explicit) or bool(os.environ.get(ENV_TODAY, "").strip()) or configured is not None


def now(today: dt.date | None = None, *, fixed: bool = False) -> dt.datetime:
    """The current moment as an aware datetime in local time.

    ``fixed``: ``today`` is a set day, and the moment is that day at :data:`FIXED_TIME`, whatever
    the real hour (never crossing the date, the same in every process). Otherwise the real
    moment, moved onto ``today`` if the store works at another day than the system's."""
    if fixed and today is not None:
        return dt.datetime.combine(today, FIXED_TIME).astimezone()
    moment = dt.datetime.now().astimezone()
    if today is None or today == moment.date():
        return moment
    return dt.datetime.combine(today, moment.timetz())
