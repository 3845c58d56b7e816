"""The follow-up rules of the seeds, each a small class with ``name`` and ``due(...)``.

Two kinds of rule:

- **events** (greeting, survey, birthdays, holidays) fall due on one day;
- **conditions** stay due until the rep acts (or the condition ends): an overdue payment and a
  complaint deadline with their first due date; the periodic ones (monthly touch, key-account
  visit, dormant customer) come round again every period while nobody acts, due on the first
  round day the engine asks about.

A missed reminder lapses ``lapse_days`` after its due day (``lapse_days:`` here, or each rule's
default below): the engine (``kehu_core.reminder_engine``) enforces it for every plugin's rules, by
asking each rule from that many days before the list's first day.

Spreading the load: condition rules move each customer's due date by a stable offset of
0..``spread_days``-1 days taken from a hash of the customer id, and holiday greetings are spread
over the ``lead_days`` before the holiday the same way. A thousand customers imported on one
day (no contact yet, so the monthly touch counts from ``created``) therefore fall due over a
week, not on one morning, and each customer keeps the same offset from month to month.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from functools import cache
from typing import Any

from kehu_core import calendar, complaints, holidays_cn
from kehu_core.i18n import N_, _, format_decimal
from kehu_core.models import Complaint, Customer, Purchase, Reminder, on_one_line
from kehu_core.names import shown
from kehu_core.reminder_engine import HistoryNeeds
from kehu_core.store import Store

from .settings import NAME, RemindersSettings, settings


def offset(customer_id: str, rule: str, spread: int) -> int:
    """A stable 0..spread-1 per customer and rule (sha1, so it is the same on every machine)."""
    if spread <= 1:
        return 0
    digest = hashlib.sha1(f"{rule}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % spread


def reminder(
    rule: str, customer: Customer, due: dt.date, anchor: str, title: str, detail: str | None = None
) -> Reminder:
    """The reminder ``rule`` gives ``customer`` on ``due``; its key (rule, customer, ``anchor``) is what
    done and snoozed marks name, so one anchor must mean one occasion (a purchase's id, a year's birthday)."""
    return Reminder(
        customer_id=customer.id,
        customer_name=customer.name,
        due=due,
        rule=rule,
        title=title,
        key=f"{rule}:{customer.id}:{anchor}",
        detail=detail,
    )


class Rule:
    name = ""
    plugin = NAME
    # the engine (kehu_core.reminder_engine) gives nothing from an outreach rule to a customer
    # marked do_not_contact; False for a reminder that is not outreach (an overdue bill)
    outreach = True
    # days after its due day a missed reminder still shows (None: never lapses); the engine
    # applies it, and kehu.yaml's lapse_days overrides it
    lapse_days: int | None = 14
    event = False  # one-day reminders: catch_up_days, if set, is their lapse

    def __init__(self, cfg: RemindersSettings):
        self.cfg = cfg
        if self.event and cfg.catch_up_days is not None:
            self.lapse_days = cfg.catch_up_days

    def due(
        self, store: Store, customer: Customer, history: list[Any], start: dt.date, end: dt.date
    ) -> Iterator[Reminder]:
        return self.find(store, customer, history, start, end)

    def find(
        self, store: Store, customer: Customer, history: list[Any], start: dt.date, end: dt.date
    ) -> Iterator[Reminder]:
        raise NotImplementedError

    # Each rule below says which interactions it reads (``history_needs``), so that a list of
    # many customers reads just those; the base class has none, so a subclass written
    # elsewhere that overrides ``find`` gets the whole history unless it declares its own.

    def in_window(self, day: dt.date, start: dt.date, end: dt.date) -> bool:
        """Events: due in the window (the engine starts it early enough for missed ones)."""
        return start <= day <= end

    def spread(self, customer: Customer) -> int:
        return offset(customer.id, self.name, self.cfg.spread_days)


def round_day(first: dt.date, every: int, start: dt.date) -> dt.date:
    """A periodic condition first due on ``first`` and due again every ``every`` days while
    nobody acts: its first round day on or after ``start`` (``first`` if that is later)."""
    if first >= start:
        return first
    rounds = -(-(start - first).days // every)  # ceil
    return first + dt.timedelta(days=rounds * every)


def _items(p: Purchase) -> str:
    return _(", ").join(p.item_names) or _("a purchase")


def _money(amount: Any) -> str:
    return "¥" + format_decimal(amount)


class GreetingRule(Rule):
    name, title = "greeting", N_("greeting after a purchase")
    lapse_days, event = 7, True  # a week late is still a greeting; a year late is not

    def days(self) -> int:
        return self.cfg.greeting.days

    def history_needs(self, start: dt.date, end: dt.date) -> HistoryNeeds:
        # the purchases whose greeting day passes in_window
        first = start - dt.timedelta(days=self.days())
        return HistoryNeeds(purchases=(first, end - dt.timedelta(days=self.days())))

    def find(self, store, customer, history, start, end):  # type: ignore[no-untyped-def]
        for p in history:
            if isinstance(p, Purchase):
                day = p.date + dt.timedelta(days=self.days())
                if self.in_window(day, start, end):
                    detail = _("{date} bought {items} {amount}").format(
                        date=p.date, items=_items(p), amount=_money(p.amount))
                    yield reminder(self.name, customer, day, p.id, _(self.title), detail)


class SurveyRule(GreetingRule):
    name, title = "survey", N_("satisfaction survey")
    lapse_days = 14

    def days(self) -> int:
        return self.cfg.survey.days


class TouchRule(Rule):
    name = "touch"
    lapse_days = 14  # then it comes round again a month later

    def history_needs(self, start: dt.date, end: dt.date) -> HistoryNeeds:
        return HistoryNeeds(latest=True)  # only the last contact's date counts

    def find(self, store, customer, history, start, end):  # type: ignore[no-untyped-def]
        base = max([i.date for i in history] + ([customer.created] if customer.created else []), default=None)
        if base is None:
            return
        every = self.cfg.touch.every_days
        # earlier, never later, than `every` days: "at least monthly" still holds
        day = round_day(base + dt.timedelta(days=max(every - self.spread(customer), 1)), every, start)
        if day <= end:
            yield reminder(
                self.name, customer, day, base.isoformat(), _("keep in touch"),
                _("last contact {date}; at least every {every} days").format(date=base, every=every)
            )


class BirthdayRule(Rule):
    name = "birthday"
    lapse_days, event = 3, True  # (lunar-birthday too) a greeting a week late is an apology

    def history_needs(self, start: dt.date, end: dt.date) -> HistoryNeeds:
        return HistoryNeeds()

    def find(self, store, customer, history, start, end):  # type: ignore[no-untyped-def]
        # The days come from kehu_core.calendar, as the birthday segment's and the .ics
        # export's do (leap month, day 30 and 29 February rules in docs/calendar.md).
        lead = dt.timedelta(days=self.cfg.birthday.lead_days)
        for b in calendar.birthdays(customer.birthday, customer.lunar_birthday, start + lead, end + lead):
            if b.lunar:
                yield reminder("lunar-birthday", customer, b.day - lead, b.day.isoformat(),
                               _("lunar birthday greeting"), f"{b.label} ({b.day})")
            else:
                detail = (_("birthday {day}") if b.age is None else _("birthday {day}, {age} years old"))
                yield reminder(self.name, customer, b.day - lead, b.day.isoformat(), _("birthday greeting"),
                               detail.format(day=b.label, age=b.age))


@cache
def holiday_dates(
    years: tuple[int, ...], names: tuple[str, ...], lunar: tuple[tuple[str, str], ...]
) -> list[tuple[str, dt.date]]:
    """First day of each wanted holiday in ``years``: statutory ones (春节, 中秋节 ...) and the
    extra lunar festivals of the settings, both from kehu_core.holidays_cn."""
    found = [(h.name, h.day) for h in holidays_cn.statutory_holidays(years, names)]
    window = dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)
    found += [(h.name, h.day) for h in holidays_cn.lunar_festivals(dict(lunar), *window)]
    return sorted(found, key=lambda x: (x[1], x[0]))


class HolidayRule(Rule):
    name = "holiday"
    lapse_days, event = 3, True

    def __init__(self, cfg: RemindersSettings):
        super().__init__(cfg)
        # (holiday, day) → the greeting's title and detail, the same for every customer: worked
        # out once for the rules' pass over a list (a book of 10 000 asks 80 000 times)
        self._words: dict[tuple[str, dt.date, int], tuple[str, str]] = {}

    def history_needs(self, start: dt.date, end: dt.date) -> HistoryNeeds:
        return HistoryNeeds()

    def find(self, store, customer, history, start, end):  # type: ignore[no-untyped-def]
        cfg = self.cfg.holidays
        if cfg.tiers and _tier(store, customer) not in cfg.tiers:
            return
        lead = offset(customer.id, self.name, cfg.lead_days) + 1 if cfg.lead_days else 0
        for name, day, due in _holidays_due(start, end, lead, tuple(cfg.names), tuple(sorted(cfg.lunar.items()))):
            title, detail = self._said(store, name, day)
            yield reminder(self.name, customer, due, f"{name}-{day.year}", title, detail)

    def _said(self, store: Store, name: str, day: dt.date) -> tuple[str, str]:
        key = (name, day, id(store))
        words = self._words.get(key)
        if words is None:
            said = shown(name, store)  # 春节 / Spring Festival; the key keeps the name as kehu.yaml has it
            words = self._words[key] = (_("{holiday} greeting").format(holiday=said), f"{said} {day}")
        return words


@cache  # asked once per customer with the same window: a handful of distinct answers
def _holidays_due(
    first: dt.date, end: dt.date, lead: int, names: tuple[str, ...], lunar: tuple[tuple[str, str], ...]
) -> list[tuple[str, dt.date, dt.date]]:
    """(holiday, its day, greeting day) for greetings ``lead`` days ahead falling in [first, end]."""
    years = tuple(range(first.year - 1, end.year + 2))
    out = []
    for name, day in holiday_dates(years, names, lunar):
        due = day - dt.timedelta(days=lead)
        if first <= due <= end:
            out.append((name, day, due))
    return out


def _tier(store: Store, customer: Customer) -> str | None:
    if store.plugins is None:
        return None
    return store.plugins.values(store, customer, skip=[NAME]).get("tier")


class KeyVisitRule(Rule):
    name = "visit"
    lapse_days = 30  # then due again a round later: a key account is never forgotten

    def history_needs(self, start: dt.date, end: dt.date) -> HistoryNeeds:
        return HistoryNeeds(latest=True)  # the last visit

    def find(self, store, customer, history, start, end):  # type: ignore[no-untyped-def]
        table = self.cfg.key_visits.every_days
        if not table:
            return
        tier = _tier(store, customer)
        if tier not in table:
            return
        visits = [i.date for i in history if i.kind == "visit"]
        base = max(visits, default=customer.created)
        if base is None:
            return
        day = round_day(base + dt.timedelta(days=max(table[tier] - self.spread(customer), 1)), table[tier], start)
        if day <= end:
            yield reminder(
                self.name,
                customer,
                day,
                base.isoformat(),
                _("visit ({tier})").format(tier=shown(tier, store)),
                _("last visit {date}; {tier}: a visit every {every} days").format(
                    date=base, tier=shown(tier, store), every=table[tier]),
            )


class OverdueRule(Rule):
    name, outreach = "overdue", False
    lapse_days = None  # a debt does not go away by waiting

    def history_needs(self, start: dt.date, end: dt.date) -> HistoryNeeds:
        return HistoryNeeds(unpaid=True)

    def find(self, store, customer, history, start, end):  # type: ignore[no-untyped-def]
        for p in history:
            # a voided purchase never reaches a rule (the index leaves it out of histories)
            if isinstance(p, Purchase) and p.owed > 0 and p.due:
                day = p.due + dt.timedelta(days=1 + self.cfg.overdue.grace_days)
                if day <= end:
                    yield reminder(
                        self.name,
                        customer,
                        day,
                        p.id,
                        _("collect {amount}").format(amount=_money(p.owed)),
                        _("{date} {items}, due {due}").format(date=p.date, items=_items(p), due=p.due),
                    )


class DormantRule(Rule):
    name = "dormant"
    lapse_days = 30  # then tried again a round (``days``) later

    def history_needs(self, start: dt.date, end: dt.date) -> HistoryNeeds:
        return HistoryNeeds(latest=True)  # the last purchase

    def find(self, store, customer, history, start, end):  # type: ignore[no-untyped-def]
        last = max((i.date for i in history if isinstance(i, Purchase)), default=None)
        if last is None:
            return
        days = self.cfg.dormant.days
        day = round_day(last + dt.timedelta(days=days + self.spread(customer)), days, start)
        if day <= end:
            yield reminder(
                self.name, customer, day, last.isoformat(), _("win back a dormant customer"),
                _("last purchase {date}, over {days} days ago").format(date=last, days=days)
            )


class ComplaintRule(Rule):
    """Answer a complaint by its respond-by deadline, resolve it by its resolve-by deadline
    (``complaints:`` in kehu.yaml, computed by kehu_core.complaints). Due on the deadline's day
    (``remind_ahead_hours`` earlier if set); gone once the complaint has moved on. Not
    outreach: a customer marked do_not_contact who complained still gets an answer."""

    name, outreach = "complaint", False
    lapse_days = None  # a deadline passed is still a complaint to answer

    def history_needs(self, start: dt.date, end: dt.date) -> HistoryNeeds:
        return HistoryNeeds(open_complaints=True)

    def find(self, store, customer, history, start, end):  # type: ignore[no-untyped-def]
        settings = store.config.complaints
        ahead = dt.timedelta(hours=settings.remind_ahead_hours)
        for c in history:
            if not isinstance(c, Complaint) or c.status not in complaints.UNFINISHED:
                continue
            limits = complaints.deadlines(settings, c)
            if c.status == complaints.OPEN:
                deadline, step, title = limits.respond_by, "answer", _("answer the complaint")
            else:
                deadline, step, title = limits.resolve_by, "resolve", _("resolve the complaint")
            day = (deadline - ahead).date()
            if day <= end:
                # on the detail's one line: a second line of the text stood as a reminder of its own
                detail = _("{complaint}; by {deadline}").format(
                    complaint=f"{c.date} {on_one_line(c.text or '')}".strip(), deadline=f"{deadline:%Y-%m-%d %H:%M}")
                yield reminder(self.name, customer, day, f"{c.id}-{step}", title, detail)


RULES: dict[str, type[Rule]] = {
    "greeting": GreetingRule,
    "survey": SurveyRule,
    "touch": TouchRule,
    "birthday": BirthdayRule,
    "holidays": HolidayRule,
    "key_visits": KeyVisitRule,
    "overdue": OverdueRule,
    "dormant": DormantRule,
    "complaints": ComplaintRule,
}


def _thanks() -> Any:
    from . import thanks  # it builds on Rule, defined here

    return thanks


def enabled_rules(store: Store) -> list[Rule]:
    cfg = settings(store)
    rules = {**RULES, "thank_referrer": _thanks().ThankReferrerRule}
    return [rule(cfg) for key, rule in rules.items() if getattr(cfg, key).enabled]
