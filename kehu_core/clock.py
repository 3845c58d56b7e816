"""The one place kehu reads the system date and time.

Time is data: every command, service, plugin and report takes ``today`` from the store
(``store.today``) or from its caller, never from the wall clock. The store's day is, first found:

1. ``--today YYYY-MM-DD`` on the command line (or ``today=`` passed to ``open_store``),
2. the ``KEHU_TODAY`` environment variable,
3. ``today:`` in kehu.yaml (a demo or a training store frozen at its own date),
4. the system date.

Timestamps (when a message was sent, when a change was recorded) come from :func:`now`, which
keeps the day of ``today`` so that a store opened at another date stays consistent.
"""

from __future__ import annotations

import datetime as dt
import os

from .errors import KehuError

ENV_TODAY = "KEHU_TODAY"

#: The dates kehu keeps (a purchase, a payment, a due date, a ledger entry, ``--today``): a
#: year outside these is a typo (9999-12-31, 0001-01-01) that would overflow date arithmetic
#: (a due date 30 days later, a points expiry a year later) in every later command.
EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2199, 12, 31)


def day_range_problem(day: dt.date) -> str | None:
    """What is wrong with ``day`` as a date kehu keeps (None: nothing); the one range rule."""
    if EARLIEST_DAY <= day <= LATEST_DAY:
        return None
    return (f"{day.isoformat()} is outside the dates kehu keeps "
            f"({EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()})")


def system_today() -> dt.date:
    """The machine's date: the only read of the wall clock's day in kehu."""
    return dt.date.today()


def parse_day(text: str, *, source: str = "--today") -> dt.date:
    """``YYYY-MM-DD`` as a date, or a message naming where the bad value came from."""
    try:
        day = dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise KehuError(f"{source}: {text!r} is not a date; expected YYYY-MM-DD") from None
    problem = day_range_problem(day)
    if problem is not None:
        raise KehuError(f"{source}: {problem}")
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


def now(today: dt.date | None = None) -> dt.datetime:
    """The current moment as an aware datetime, on ``today`` when a store works at another day."""
    moment = dt.datetime.now().astimezone()
    if today is None or today == moment.date():
        return moment
    return dt.datetime.combine(today, moment.timetz())
