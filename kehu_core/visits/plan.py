"""Whom a rep visits on a day, in what order, and why (``kehu visits plan``).

Each reason comes from the rule's one home; nothing here computes a figure of its own:

=============  ===================================================================
``complaint``  an open or acknowledged complaint (:func:`kehu_core.complaints.complaints`)
``overdue``    money owed past its due day (:func:`kehu_core.reports.receivables.receivables_report`)
``cadence``    a key account due a visit: the reminder engine's ``visit`` reminders (the
               reminders plugin's rule, ``key_visits: every_days`` per tier; the tier from
               the tiering plugin), so a visit reminder snoozed or done counts here too
``birthday``   a solar or lunar birthday within ``visits: birthday_days`` of the day
               (:func:`kehu_core.calendar.birthdays`)
``dormant``    a large customer (tier in ``visits: dormant_tiers``, tested with the one tier
               filter :func:`kehu_core.services.scoring.tier_filter`) whose lifecycle stage
               is dormant or churned (:func:`kehu_core.reports.lifecycle.stages`)
``planned``    the rep added them (:mod:`.planfile`)
=============  ===================================================================

Order: by the most pressing reason (the order of the table), then by how many reasons, then
by what is owed, then by name; the rep's ``order`` goes first. The plan keeps at most
``visits: day_limit`` visits: the rep's own additions are always kept, the rules' picks fill
the rest, and those left over are listed as waiting.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import calendar
from .. import complaints as cp
from ..errors import KehuError, NotFound, Problem, RecordError
from ..i18n import N_, _, format_decimal
from ..models import Customer, Visit, on_one_line
from . import planfile

if TYPE_CHECKING:
    from ..store import Store

#: the reasons, most pressing first (what the plan sorts by)
REASONS: tuple[str, ...] = ("complaint", "overdue", "cadence", "birthday", "dormant", "planned")
#: English, marked for the catalog: shown through _() (Reason.label)
REASON_LABELS = {
    "complaint": N_("open complaint"), "overdue": N_("overdue payment"), "cadence": N_("key-account visit"),
    "birthday": N_("birthday this week"), "dormant": N_("dormant big customer"), "planned": N_("planned by me"),
}
#: the reminder engine's rule for key-account visits (the reminders plugin's KeyVisitRule)
CADENCE_RULE = "visit"


@dataclass
class Reason:
    kind: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "label": self.label, "text": self.text}

    @property
    def label(self) -> str:
        """The reason's name in the user's language."""
        return _(REASON_LABELS[self.kind])


@dataclass
class PlannedVisit:
    customer: Customer
    reasons: list[Reason] = field(default_factory=list)
    owed: Decimal = Decimal(0)  # overdue, from the receivables report
    values: dict[str, Any] = field(default_factory=dict)  # the plugins' (tier, points ...)
    visited: Visit | None = None  # a visit recorded on the day (kehu visits done)

    @property
    def rank(self) -> tuple[Any, ...]:
        best = min((REASONS.index(r.kind) for r in self.reasons), default=len(REASONS))
        return (best, -len(self.reasons), -self.owed, self.customer.name, self.customer.id)

    def to_json(self, number: int | None = None) -> dict[str, Any]:
        c = self.customer
        return {
            "order": number, "id": c.id, "name": c.name, "phones": list(c.phones),
            "addresses": list(c.addresses), "owner": c.owner, "tier": self.values.get("tier"),
            "reasons": [r.to_json() for r in self.reasons],
            "overdue": str(self.owed) if self.owed else None,
            "visited": self.visited is not None,
            "outcome": self.visited.text if self.visited is not None else None,
        }


@dataclass
class VisitPlan:
    owner: str
    day: dt.date
    limit: int
    visits: list[PlannedVisit]
    waiting: list[PlannedVisit]  # picked by the rules, beyond the day's limit
    plan_file: str | None  # the rep's changes, relative to the store; None: no changes
    customers: int = 0  # how many customers the rep owns (0: a typo in --owner?)
    #: customers the rep added who are no longer in the store (merged into another, deleted
    #: in another clone): left out of the plan and said, where the plan failed on them
    gone: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "owner": self.owner, "date": self.day.isoformat(), "limit": self.limit,
            "plan_file": self.plan_file, "customers": self.customers, "gone": list(self.gone),
            "visits": [v.to_json(n) for n, v in enumerate(self.visits, 1)],
            "waiting": [v.to_json() for v in self.waiting],
        }


def _settings_problem(store: Store, key: str, message: str) -> RecordError:
    from ..config import CONFIG_FILE
    from ..yamlio import line_of, load_roundtrip

    path = store.root / CONFIG_FILE
    line = line_of(load_roundtrip(path), ["visits", key]) if path.is_file() else 1
    return RecordError([Problem(path, line, f"visits.{key}: {message}")])


def _large(store: Store) -> Any:
    """The test "is this a large customer" (tier in ``visits: dormant_tiers``)."""
    from ..services.scoring import tier_filter

    settings = store.config.visits
    wanted = settings.dormant_tiers
    if not wanted:
        return lambda values: False
    try:
        return tier_filter(store, wanted)
    except KehuError as exc:  # a tier this store does not have: say where it was written
        if "dormant_tiers" not in settings.model_fields_set:
            # the default names the tiering plugin's tiers: a store without it (disabled) has
            # no large customer, rather than a plan, and a `kehu check`, that fail on a line
            # nobody wrote
            return lambda values: False
        raise _settings_problem(store, "dormant_tiers", str(exc)) from None


def settings_problems(store: Store) -> list[Problem]:
    """What `kehu check` says of ``visits:`` in kehu.yaml that no plan can use: a dormant tier
    the store does not have (`check` said ok, and `kehu visits plan` failed for every rep)."""
    try:
        _large(store)
    except RecordError as exc:
        return list(exc.problems)
    return []


def make_plan(store: Store, owner: str, day: dt.date) -> VisitPlan:
    """The plan of ``owner`` for ``day``: the rules' picks among the rep's customers, with
    the rep's changes (:mod:`.planfile`) applied, cut to the day's limit."""
    from ..reminder_engine import reminders_for
    from ..reports.common import CHURNED, DORMANT
    from ..reports.lifecycle import stages
    from ..reports.receivables import receivables_report
    from ..services.scoring import activity

    settings = store.config.visits
    # the rep's name as every door stores an owner (trimmed, composed): the file was found by it,
    # the rep's customers by the name as typed, so a decomposed José or " 王芳 " had none
    owner = planfile.check_owner(owner)
    edits = planfile.read(store, owner, day)
    mine = {row.customer.id: row.customer for row in store.index.list(owner=owner)}
    owned = len(mine)
    gone: list[str] = []
    for cid in edits.add:
        if cid not in mine:
            try:
                mine[cid] = store.get(cid)  # someone else's customer the rep plans to see
            except NotFound:  # merged into another, or deleted in another clone, since: said
                gone.append(cid)
    found: dict[str, PlannedVisit] = {}

    def reason(customer: Customer, kind: str, text: str) -> PlannedVisit:
        entry = found.setdefault(customer.id, PlannedVisit(customer))
        entry.reasons.append(Reason(kind, text))
        return entry

    for view in cp.complaints(store, open_only=True):
        if view.customer_id in mine:
            c = view.complaint
            deadline = view.next_deadline
            by = ""
            if deadline:
                by = (_("answer by {deadline}") if view.state == cp.OPEN else _("resolve by {deadline}")).format(
                    deadline=f"{deadline:%Y-%m-%d %H:%M}")
                by = _(", {what}").format(what=by) + (_(", overdue") if view.overdue else "")
            # quoted on one line (a reason is one, as a reminder's detail): a text of many lines printed
            # a line of its own, a forged visit or complaint in `kehu visits plan` (models.on_one_line)
            reason(mine[view.customer_id], "complaint",
                   f"{c.date} {on_one_line(c.text or '') or _('complaint')}{by}".strip())

    owed: dict[str, list[Any]] = defaultdict(list)
    for item in receivables_report(store, day).items:
        if item.customer_id in mine and item.days_overdue > 0:
            owed[item.customer_id].append(item)
    for cid, items in owed.items():
        total = sum((i.amount for i in items), Decimal(0))
        worst = max(i.days_overdue for i in items)
        reason(mine[cid], "overdue", _("{amount} overdue, the oldest {days} days").format(
            amount="¥" + format_decimal(total), days=worst)).owed = total

    customers = list(mine.values())
    for customer, due in reminders_for(store, customers, day, day, only={CADENCE_RULE}):
        for r in due:
            if r.rule == CADENCE_RULE:
                reason(customer, "cadence", r.detail or r.title)

    end = day + dt.timedelta(days=settings.birthday_days - 1)
    for customer in customers:
        if customer.do_not_contact:
            continue
        for b in calendar.birthdays(customer.birthday, customer.lunar_birthday, day, end):
            when = _("today") if b.day == day else f"{b.day:%m-%d}"
            text = _("birthday {day} ({when})") if b.age is None else _("birthday {day} ({when}, {age} years old)")
            reason(customer, "birthday", text.format(day=b.label, when=when, age=b.age))

    large = _large(store)
    stage = stages(store, day)
    bought = activity(store, None, day + dt.timedelta(days=1))
    for customer in customers:
        if customer.do_not_contact or stage.get(customer.id) not in (DORMANT, CHURNED):
            continue
        # the tier is what counts here: the next reminder (the reminders plugin's value) is not
        values = store.plugins.values(store, customer, skip=("reminders",))
        if large(values):
            text = (_("{tier}, dormant, last purchase {date}") if stage[customer.id] == DORMANT else
                    _("{tier}, churned, last purchase {date}"))
            entry = reason(customer, "dormant", text.format(tier=values.get("tier"),
                                                             date=bought[customer.id].last_purchase))

    left_out = set(gone)  # a colleague's plan naming 100 000 such ids took minutes, asked of the list
    for cid in edits.add:
        if cid not in left_out:
            reason(mine[cid], "planned", _("added by the rep"))
    for cid in edits.remove:
        found.pop(cid, None)
    # a customer visited on the day stays on its plan (✓), though the visit may have taken
    # its reason away (the complaint resolved, the money collected): the evening's plan shows
    # what was done
    visited = {r["customer_id"] for r in store.index.interactions(
        kind="visit", since=day.isoformat(), until=(day + dt.timedelta(days=1)).isoformat())}
    for cid in sorted(visited & mine.keys()):
        found.setdefault(cid, PlannedVisit(mine[cid]))

    ranked = sorted(found.values(), key=lambda v: v.rank)
    first = [found[cid] for cid in edits.order if cid in found]
    firsts = {id(v) for v in first}  # by identity: not the dataclass's field by field ==, each against each
    ranked = first + [v for v in ranked if id(v) not in firsts]
    visits: list[PlannedVisit] = []
    waiting: list[PlannedVisit] = []
    for entry in ranked:
        own = any(r.kind == "planned" for r in entry.reasons) or entry.customer.id in visited
        (visits if own or len(visits) < settings.day_limit else waiting).append(entry)
    for entry in visits:
        if not entry.values:
            entry.values = store.plugins.values(store, entry.customer)
        entry.visited = visit_on(store, entry.customer.id, day)
    path = planfile.plan_path(store, owner, day)
    return VisitPlan(owner, day, settings.day_limit, visits, waiting,
                     store.rel(path) if path.is_file() else None, owned, gone)


def visit_on(store: Store, customer_id: str, day: dt.date) -> Visit | None:
    """The visit recorded for the customer on ``day`` (the last one), if any."""
    found = [i for i in store.interactions(customer_id) if isinstance(i, Visit) and i.date == day]
    return found[-1] if found else None


def edit_plan(store: Store, owner: str, day: dt.date, *, add: tuple[str, ...] = (),
              remove: tuple[str, ...] = (), order: tuple[str, ...] = (), reset: bool = False) -> str | None:
    """The rep's changes to the plan, written to its file; the ids must be customers of the
    store. Returns the file (relative to the store), None when no change is left."""
    # read, changed and written under the store's lock: read before it, a colleague's change
    # written meanwhile (the TUI, another `visits plan --add`) was lost by this write
    with store.lock():
        edits = planfile.PlanEdits(planfile.check_owner(owner), day) if reset else planfile.read(store, owner, day)
        for cid in (*add, *remove, *order):
            if cid not in edits.add or cid not in remove:  # a customer gone since it was added: removable
                store.get(cid)  # NotFound names the id
        planfile.apply(edits, add=add, remove=remove, order=order)
        path = planfile.write(store, edits)
    return None if edits.empty else store.rel(path)


class NoOutcome(KehuError):
    """A visit recorded without saying how it went: each door says it in its own words (the
    CLI names its ``--outcome``, the TUI's dialog has no option to name)."""


def record_visit(store: Store, customer_id: str, outcome: str, day: dt.date | None = None,
                 by: str | None = None) -> Visit:
    """A visit and how it went, as an interaction of kind ``visit`` (``kehu visits done``,
    the TUI's ``o`` key). The key-account cadence counts from it (the ``visit`` rule)."""
    outcome = outcome.strip()
    if not outcome:
        raise NoOutcome(_("say how the visit went (it is what the next visit starts from)"))
    customer = store.get(customer_id)
    data: dict[str, Any] = {"kind": "visit", "date": day or store.today, "text": outcome}
    who = by or customer.owner
    if who:
        data["by"] = who
    record = store.add_interaction(customer_id, data)
    assert isinstance(record, Visit)
    return record
