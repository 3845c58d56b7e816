"""What every report shares: settings, periods, money and percent helpers, the customers
and their first purchases, and JSON output."""


from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta

from ..clock import EARLIEST_DAY, LATEST_DAY
from ..config_reports import ReportSettings
from ..i18n import N_, _
from ..money import CENT

if TYPE_CHECKING:
    from ..store import Store

ZERO = Decimal(0)
NO_ITEMS = "(未分项 no items)"

# lifecycle stages, in the order reports show them
PROSPECT, NEW, ACTIVE, DORMANT, CHURNED = "prospect", "new", "active", "dormant", "churned"
STAGES = (PROSPECT, NEW, ACTIVE, DORMANT, CHURNED)
NOT_YET = "not_yet"  # the customer was not in the store yet on that day

RECEIVABLE_BUCKETS = ("not_due", "0-30", "31-60", "61-90", "90+")
CALENDAR_UNITS = ("week", "month", "quarter")
#: a bucket's name as a person reads it (English, marked for the catalog: shown through i18n._);
#: the CLI's tables and the TUI's chart both use it
BUCKET_LABELS = {"not_due": N_("not due"), "0-30": "0–30", "31-60": "31–60", "61-90": "61–90", "90+": "90+",
                 "total": N_("total")}


# --- settings -------------------------------------------------------------------------------


#: ``reports:`` in kehu.yaml, a settings model read as kehu.yaml is (``store.config.reports``)
Settings = ReportSettings


# --- periods --------------------------------------------------------------------------------

_SPAN_RE = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.I)


def parse_span(text: str) -> relativedelta:
    """``90d``, ``12w``, ``6m``, ``1y`` → a relativedelta (months and years are calendar ones).

    The one rule of a span typed anywhere (a report's ``--period``, a segment's ``bought_within``):
    one that reaches a day kehu keeps from every day it keeps, 1 day up to 299 years. A report's
    ``--period 99999999d`` ended in "internal error: OverflowError" (products, abc, lifecycle),
    where a segment's was refused."""
    match = _SPAN_RE.match(str(text))
    if not match or int(match.group(1)) <= 0:
        raise ValueError(_("period {text}: expected a number and a unit, like 90d, 12w, 6m or 1y").format(
            text=repr(text)))
    n, unit = int(match.group(1)), match.group(2).lower()
    span = {
        "d": relativedelta(days=n), "w": relativedelta(weeks=n),
        "m": relativedelta(months=n), "y": relativedelta(years=n),
    }[unit]
    try:
        reach: dt.date | None = LATEST_DAY - span
    except (OverflowError, ValueError):  # past any date Python holds
        reach = None
    if reach is None or reach < EARLIEST_DAY:
        raise ValueError(_("{text}: a span back from today of 1 day up to {years} years, like 90d, 6m, 1y").format(
            text=repr(text), years=LATEST_DAY.year - EARLIEST_DAY.year))
    return span


@dataclass(frozen=True)
class Period:
    """Days ``start`` (included) up to ``end`` (excluded)."""

    start: dt.date
    end: dt.date

    @property
    def last(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - dt.timedelta(days=self.days), self.start)

    def label(self) -> str:
        return f"{self.start.isoformat()} – {self.last.isoformat()}"

    @classmethod
    def ending(cls, today: dt.date, span: str) -> Period:
        """The ``span`` (e.g. ``90d``) ending with ``today`` included."""
        end = today + dt.timedelta(days=1)
        return cls(end - parse_span(span), end)

    @classmethod
    def containing(cls, day: dt.date, unit: str) -> Period:
        """The calendar ``unit`` (week Monday to Sunday, month or quarter) that holds ``day``."""
        if unit == "week":
            start = day - dt.timedelta(days=day.weekday())
            return cls(start, start + dt.timedelta(days=7))
        if unit == "month":
            start = day.replace(day=1)
            return cls(start, start + relativedelta(months=1))
        if unit == "quarter":
            start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            return cls(start, start + relativedelta(months=3))
        raise ValueError(_("{unit}: expected week, month or quarter").format(unit=repr(unit)))

    def previous_calendar(self, unit: str) -> Period:
        """The calendar ``unit`` just before this one (October before November: 31 days, not
        :meth:`previous`'s same number of days)."""
        return Period.containing(self.start - dt.timedelta(days=1), unit)

    @classmethod
    def between(cls, since: dt.date, until: dt.date) -> Period:
        """From ``since`` to ``until``, both included."""
        if until < since:
            raise ValueError(_("--until {until} is before --since {since}").format(until=until, since=since))
        return cls(since, until + dt.timedelta(days=1))


# --- small helpers --------------------------------------------------------------------------


def to_money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def percent(part: Decimal | float, whole: Decimal | float) -> float:
    return round(float(part) / float(whole) * 100, 1) if whole else 0.0


def percent_change(now: Decimal | float, before: Decimal | float) -> float | None:
    """Percent change; ``None`` when there was nothing before (a new product, say)."""
    if not before:
        return None
    return round((float(now) - float(before)) / float(before) * 100, 1)


@dataclass
class CustomerInfo:
    id: str
    name: str
    owner: str | None
    level: str | None
    tags: list[str]
    created: dt.date | None
    do_not_contact: bool = False


def customers(store: Store) -> dict[str, CustomerInfo]:
    """The few profile fields reports show, straight from the index (no model validation)."""
    out = {}
    tags = store.index.tags_by_customer()
    for cid, name, owner, level, created, dnc in store.index.profile_summaries():
        out[cid] = CustomerInfo(
            cid, name, owner, level, tags.get(cid, []),
            dt.date.fromisoformat(created) if created else None, dnc,
        )
    return out


def first_purchases(store: Store, end: dt.date | None = None) -> dict[str, dt.date]:
    """Each buyer's first purchase date (purchases before ``end`` only)."""
    rows = store.index.first_purchases(end.isoformat() if end else None)
    return {cid: dt.date.fromisoformat(first) for cid, first in rows.items()}


def as_json(value: Any) -> Any:
    """Dataclasses, Decimals and dates → plain JSON values (money as numbers with 2 decimals).

    A :class:`Period` is ``{"start", "end", "days"}`` with ``end`` the last day included, the
    days the text form shows (``2026-08-23 – 2026-11-20``), never the excluded day after."""
    if isinstance(value, Period):
        return {"start": value.start.isoformat(), "end": value.last.isoformat(), "days": value.days}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, ReportSettings):  # the settings a report was made with
        return value.model_dump()
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, Decimal):
        return float(value.quantize(CENT))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def dumps(value: Any) -> str:
    return json.dumps(as_json(value), ensure_ascii=False, indent=2)
