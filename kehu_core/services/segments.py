"""Saved segments: named groups of customers, defined under ``segments:`` in kehu.yaml.

    segments:
      vip-gold:                 # every condition must hold; a list means "any of these"
        tag: VIP
        level: [金卡, 钻石卡]
      sleeping-west-lake:
        owner: 王芳
        lifecycle: [dormant, churned]
        last_purchase_before: 120d      # a date (2026-06-01) or a span back from today
      birthdays:
        birthday_month: this            # this | next | 1-12 (lunar birthdays count too)

A few segments are built in (``all``, ``birthday-this-month``, ``new``, ``active``,
``dormant``, ``churned``, ``prospects``); one of the same name in kehu.yaml replaces it.
The CLI (``kehu segment``, ``kehu send --segment``) and the TUI (:func:`segment_customers`)
read the same definitions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .. import reports as analytics
from ..calendar import birthday_months
from ..clock import EARLIEST_DAY, LATEST_DAY, day_range_problem
from ..config import CONFIG_FILE
from ..config_names import written_twice
from ..errors import KehuError, Problem, RecordError
from ..i18n import N_, _
from ..keytext import key_text
from ..problems import validation_problems
from ..yamlio import line_of, lines_doc
from .scoring import activity, rfm, tier_filter, wanted_rfm, wanted_tiers

if TYPE_CHECKING:
    from ..index.rows import Row
    from ..models import Customer
    from ..store import Store

Stage = Literal["prospect", "new", "active", "dormant", "churned"]
_DATE_OR_SPAN = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\s*\d+\s*[dwmy]\s*$", re.I)


def _list(value: Any) -> Any:
    """A condition's values: a list as it is, any one value as a list of it. Only text and
    whole numbers were: `birthday_month: 1.5` or `tag: 2026-01-01` was walked as a list and
    ended `kehu check` and every segment's door in "internal error: TypeError"; now the one
    value is judged as a list's values are, at its line."""
    if value is None:
        return []
    return value if isinstance(value, list | tuple) else [value]


class SegmentSpec(BaseModel):
    """The conditions of one segment; all must hold. Unknown keys are errors (typos)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    description: str | None = None
    tag: list[str] = []  # has any of these tags
    not_tag: list[str] = []  # has none of these
    tier: list[str] = []  # tier computed by the tiering plugin
    level: list[str] = []
    owner: list[str] = []
    lifecycle: list[Stage] = []  # see analytics.stages
    rfm: list[str] = []  # RFM segment name, e.g. 冠军客户
    last_purchase_before: str | None = None  # YYYY-MM-DD, or a span back from today (90d)
    last_purchase_after: str | None = None  # (inclusive) same forms
    birthday_month: list[str] = []  # this | next | 1-12
    bought: list[str] = []  # bought a product whose name contains one of these
    attitude: list[str] = []  # loyal, switching, no_loyalty (kehu_core.attitude)
    min_revenue: Decimal | None = None  # lifetime revenue
    max_revenue: Decimal | None = None
    ids: list[str] = []

    @field_validator("tag", "not_tag", "tier", "level", "owner", "lifecycle", "rfm",
                     "birthday_month", "bought", "ids", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        # spaces at the ends taken off, as every door takes them off the owner, tag or level
        # it stores (models.hostile.ONE_LINE): `owner: [' 王芳']` matched no one
        values = [str(v) if isinstance(v, int) else key_text(v) if isinstance(v, str) else v for v in _list(value)]
        # a condition written with nothing (`bought:`, `ids: []`) was no condition, and `bought: ''`
        # one every buyer meets: the segment held everyone, and `kehu send` reached them all
        if not values or any(v == "" for v in values):
            raise ValueError(_("a condition with no value holds every customer; write its values "
                               "or take the line out"))
        return values

    @field_validator("last_purchase_before", "last_purchase_after", mode="before")
    @classmethod
    def _date_or_span(cls, value: Any) -> Any:
        if value is None:
            return None
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        if not _DATE_OR_SPAN.match(text):
            raise ValueError(_("{text}: expected a date YYYY-MM-DD or a span like 90d, 6m, 1y").format(
                text=repr(text)))
        # a day kehu keeps, a span that reaches one from every day it keeps: `2026-02-30`,
        # `0000-01-01`, `0d` or `99999999999d` passed `kehu check`, then `kehu segment show`
        # and `kehu send` ended in "internal error: ValueError" (or OverflowError)
        text = text.strip()
        if "-" in text:  # a day
            try:
                problem = day_range_problem(dt.date.fromisoformat(text))
            except ValueError:
                problem = f"{text}: " + _("no such day")
            if problem is not None:
                raise ValueError(problem)
            return text
        try:  # the one rule of spans (a report's --period too)
            analytics.parse_span(text)
        except ValueError:  # a span of nothing, or past any date: said as a span back from today
            raise ValueError(_("{text}: a span back from today of 1 day up to {years} years, like 90d, 6m, 1y").format(
                text=repr(text), years=LATEST_DAY.year - EARLIEST_DAY.year)) from None
        return text

    @field_validator("attitude", mode="before")
    @classmethod
    def _attitudes(cls, value: Any) -> Any:
        from ..attitude import attitude_filter

        try:
            return [attitude_filter(v) for v in _list(value)]
        except KehuError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("birthday_month")
    @classmethod
    def _months(cls, value: list[str]) -> list[str]:
        for v in value:
            if v not in ("this", "next") and not (v.isdigit() and 1 <= int(v) <= 12):
                raise ValueError(_("{v}: expected this, next or a month 1-12").format(v=repr(v)))
        return value


#: the descriptions in English, marked for the catalog: ``kehu segment list`` shows them through _()
BUILT_IN: dict[str, dict[str, Any]] = {
    "all": {"description": N_("every customer")},
    "birthday-this-month": {"description": N_("birthday this month (solar or lunar)"), "birthday_month": "this"},
    "new": {"description": N_("first purchase recently"), "lifecycle": "new"},
    "active": {"description": N_("bought recently"), "lifecycle": ["new", "active"]},
    "dormant": {"description": N_("dormant: no purchase for a while"), "lifecycle": "dormant"},
    "churned": {"description": N_("churned: stopped buying"), "lifecycle": "churned"},
    "prospects": {"description": N_("prospects: never bought"), "lifecycle": "prospect"},
    "loyal": {"description": N_("loyal: buy here regularly (kehu.yaml attitude:)"), "attitude": "loyal"},
    "switchers": {"description": N_("switchers: used to buy here, now elsewhere too"), "attitude": "switching"},
}


BUILT_IN_SOURCE = "built-in"


@dataclass
class Segment:
    name: str
    spec: SegmentSpec
    source: str  # "kehu.yaml" or "built-in"


def definitions(store: Store) -> dict[str, Segment]:
    """Every segment: the built-in ones, then kehu.yaml's (which win on a name clash).

    A bad definition is an error naming kehu.yaml, its line and the field.
    """
    out = {name: Segment(name, SegmentSpec.model_validate(raw), BUILT_IN_SOURCE)
           for name, raw in BUILT_IN.items()}
    problems = []
    path = store.root / CONFIG_FILE
    lines = _Lines(path)
    spelt: dict[str, str] = {}
    for name, raw in store.config.segments.items():
        if not isinstance(raw, dict):
            problems.append(Problem(path, lines.line([name]),
                                    f"segments.{name}: expected a mapping of conditions"))
            continue
        # found however it is typed (``get``): `café` decomposed in kehu.yaml was "no segment
        # 'café'; known: …, café, …" to `kehu segment show café` typed on another machine
        key = key_text(str(name))
        if key in spelt:
            problems.append(Problem(path, lines.line([name]), f"segments.{written_twice(name, spelt[key])}"))
            continue
        spelt[key] = str(name)
        try:
            out[key] = Segment(key, SegmentSpec.model_validate(raw), CONFIG_FILE)
        except ValidationError as exc:
            problems += validation_problems(exc, path, lines.doc(), prefix=["segments", name],
                                            known=SegmentSpec.model_fields, noun="condition")
    if problems:
        raise RecordError(problems)
    return out


def condition_problems(store: Store, found: dict[str, Segment]) -> list[Problem]:
    """kehu.yaml's segments whose ``tier:`` or ``rfm:`` names no tier or RFM segment of this
    store: ``kehu segment show`` refuses them, so ``kehu check`` names them (with the line)
    rather than saying ok until the day someone sends to the segment."""
    path = store.root / CONFIG_FILE
    lines = _Lines(path)
    problems = []
    written = {key_text(str(name)): name for name in store.config.segments}  # the name as kehu.yaml spells it
    for name, segment in found.items():
        if segment.source != CONFIG_FILE:
            continue
        name = written.get(name, name)
        for key, wanted in (("tier", wanted_tiers), ("rfm", wanted_rfm)):
            for value in getattr(segment.spec, key):
                try:
                    wanted(store, [value])
                except KehuError as exc:
                    problems.append(Problem(path, lines.line([name, key]), f"segments.{name}.{key}: {exc}"))
    return problems


class _Lines:
    """kehu.yaml's nodes, read once for the line of every problem (by libyaml: ``lines_doc``).
    Read again for each, with the round-trip loader, 120 segments with a typo took `kehu check`
    24 s and 1 000 seven minutes: a colleague's kehu.yaml stopped every check and sync."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._doc: list[Any] = []

    def doc(self) -> Any:
        if not self._doc:
            self._doc.append(lines_doc(self.path))
        return self._doc[0]

    def line(self, loc: list[Any]) -> int:
        doc = self.doc()
        return line_of(doc, ["segments", *loc]) if doc is not None else 1


def get(store: Store, name: str) -> Segment:
    found = definitions(store)
    name = name if name in found else key_text(name)  # as kehu.yaml's names are read (definitions)
    if name not in found:
        raise KehuError(
            _("no segment {name}; known: {join} (define segments under `segments:` in "
                "{CONFIG_FILE})").format(
                name=repr(name), join=', '.join(sorted(found)), CONFIG_FILE=CONFIG_FILE)
        )
    return found[name]


def _cutoff(text: str, today: dt.date) -> dt.date:
    if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        return dt.date.fromisoformat(text)
    return today - analytics.parse_span(text)


def birthday_months_of(values: list[str], today: dt.date) -> set[tuple[int, int]]:
    """``birthday_month`` values (this, next, 1-12) as (year, month) pairs on ``today``:
    "next" in December is January of the next year."""
    months: set[tuple[int, int]] = set()
    for m in values:
        if m == "this":
            months.add((today.year, today.month))
        elif m == "next":
            months.add((today.year + today.month // 12, today.month % 12 + 1))
        else:
            months.add((today.year, int(m)))
    return months


def has_birthday_in(customer: Customer, months: set[tuple[int, int]]) -> bool:
    """A solar or lunar birthday of ``customer`` falls in one of the (year, month) ``months``,
    on kehu_core.calendar's rules, as the reminders and the .ics export have it."""
    return any(m in birthday_months(customer.birthday, customer.lunar_birthday, y) for y, m in months)


def select(store: Store, spec: SegmentSpec, today: dt.date | None = None) -> list[Customer]:
    """The customers matching ``spec`` on ``today`` (default: the store's day), by name."""
    return list(_matching(store, spec, store.index.list(order="name"), today or store.today))


def segment_ids(store: Store, name: str, today: dt.date | None = None) -> set[str]:
    """The ids of the customers of the saved segment ``name``: the index read a row at a time,
    no customer kept (``kehu export --segment`` held the segment's every customer, and every
    row of the store besides, before it wrote the first)."""
    return {c.id for c in _matching(store, get(store, name).spec, store.index.each(), today or store.today)}


def _matching(store: Store, spec: SegmentSpec, rows: Iterable[Row], today: dt.date) -> Iterator[Customer]:
    """The customers of ``rows`` matching ``spec`` on ``today``, in their order, as each is read."""
    stage_of = analytics.stages(store, today) if spec.lifecycle else {}
    rfm_of: dict[str, str] = {}
    rfm_wanted = set(wanted_rfm(store, spec.rfm)) if spec.rfm else set()  # an unknown name: exit 1
    if spec.rfm:
        end = today + dt.timedelta(days=1)
        scores = rfm(activity(store, None, end), today)
        rfm_of = {cid: s.segment for cid, s in scores.items()}
    bought: set[str] | None = None
    if spec.bought:
        bought = set()
        for purchase in store.index.purchases(until=(today + dt.timedelta(days=1)).isoformat()):
            names = [str(i.get("name", "")) for i in purchase.get("items") or []]
            if any(w in n for w in spec.bought for n in names):
                bought.add(purchase["customer_id"])
    months = birthday_months_of(spec.birthday_month, today)
    before = _cutoff(spec.last_purchase_before, today) if spec.last_purchase_before else None
    after = _cutoff(spec.last_purchase_after, today) if spec.last_purchase_after else None
    in_tier = tier_filter(store, spec.tier) if spec.tier else None
    attitude_of = None
    if spec.attitude:
        from ..attitude import attitudes

        attitude_of = {cid: a.attitude for cid, a in attitudes(store, today).items()}
    for row in rows:
        c = row.customer
        if spec.ids and c.id not in spec.ids:
            continue
        if spec.tag and not set(spec.tag) & set(c.tags):
            continue
        if spec.not_tag and set(spec.not_tag) & set(c.tags):
            continue
        if spec.level and c.level not in spec.level:
            continue
        if spec.owner and c.owner not in spec.owner:
            continue
        if spec.lifecycle and stage_of.get(c.id) not in spec.lifecycle:
            continue
        if spec.rfm and rfm_of.get(c.id) not in rfm_wanted:
            continue
        if bought is not None and c.id not in bought:
            continue
        last = dt.date.fromisoformat(row.last_purchase) if row.last_purchase else None
        if before and (last is None or last >= before):
            continue
        if after and (last is None or last < after):
            continue
        if spec.min_revenue is not None and row.revenue < spec.min_revenue:
            continue
        if spec.max_revenue is not None and row.revenue > spec.max_revenue:
            continue
        if months and not has_birthday_in(c, months):
            continue
        if attitude_of is not None and attitude_of.get(c.id) not in spec.attitude:
            continue
        if in_tier is not None and not in_tier(store.plugins.values(store, c)):
            continue
        yield c


def segment_customers(store: Store, name: str, today: dt.date | None = None) -> list[Customer]:
    """The customers of the saved segment ``name`` (for the TUI and scripts)."""
    return select(store, get(store, name).spec, today)
