"""``kehu report reps``: the supervisor's review (seed 001: check every rep's cards weekly,
analyse them monthly or quarterly, count card keeping in the rep's evaluation, check that sales
and collections balance and nothing is overdue).

Per rep, for a calendar week, month or quarter (:meth:`~kehu_core.reports.common.Period.containing`)
and the one before it, so every figure has its change:

- **customers** owned (created by the period's end) and **new customers** (created in it),
  counted on the customer's owner;
- **cards updated**: the owner's customers whose folder (profile, history or ledgers) changed
  in the period, by kehu's change journal (``.kehu/journal``) and by the git commits of the
  period (changes made in other clones); **completeness**: the share of ``reps: card_fields``
  (kehu.yaml) filled in, averaged over the rep's customers, as the cards are now (the
  history of every field is not kept, so it has no previous value);
- **visits** and **calls** recorded in the period, against **planned** visits (the visit
  reminders of key accounts that fell due in the period, done or not, and the visits the rep
  added to a day's plan by hand, ``kehu visits plan --add``);
- **sales** (purchases dated in the period, voided ones left out) and **collections** (money
  taken in the period: payments, and sales paid at the counter), and collections as a share of
  sales;
- **overdue**: what was owed past its due day at the period's end (today for the current
  period), on the customer's owner as receivables count it;
- **complaints** received in the period, still **open** at its end, and **resolved in time**
  or **late** in it (deadlines from :mod:`kehu_core.complaints`);
- **reminders done** in the period and **missed** (fell due in it, before today, not done).

A record's rep is who it says made it (``by``), else the customer's owner; customers without
an owner are under ``-``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import Problem
from ..i18n import _
from ..models import Complaint, Purchase, parse_interaction
from .common import ZERO, Period, customers, percent, to_money

if TYPE_CHECKING:
    from ..models import Reminder
    from ..store import Store

NOBODY = "-"

#: every figure of a rep, in the order the report shows them
METRICS = (
    "customers", "new_customers", "cards_updated", "completeness", "visits", "visits_planned",
    "calls", "sales", "collections", "collection_rate", "overdue", "complaints", "complaints_open",
    "complaints_resolved_in_time", "complaints_resolved_late", "reminders_done", "reminders_missed",
)
#: figures kept as money (2 decimals in JSON)
MONEY = ("sales", "collections", "overdue")


@dataclass
class Figure:
    value: Any
    previous: Any  # None: not known for the previous period
    change: Any  # value - previous (percentage points for a share), None when previous is

    @classmethod
    def of(cls, value: Any, previous: Any) -> Figure:
        if value is None or previous is None:
            return cls(value, previous, None)
        change = value - previous
        return cls(value, previous, round(change, 1) if isinstance(change, float) else change)


@dataclass
class RepReview:
    rep: str
    figures: dict[str, Figure] = field(default_factory=dict)


@dataclass
class RepsReport:
    today: dt.date
    unit: str
    period: Period
    previous: Period
    card_fields: list[str]
    reps: list[RepReview]
    total: dict[str, Figure]


def reps_report(store: Store, today: dt.date, unit: str = "week", owner: str | None = None) -> RepsReport:
    """The review of every rep (or only ``owner``) for the calendar ``unit`` holding ``today``."""
    period = Period.containing(today, unit)
    previous = period.previous_calendar(unit)
    fields = list(store.config.reps.card_fields)
    from ..reminder_engine import due_between

    due = due_between(store, previous.start, period.last)  # both periods' reminders, asked once
    now = _figures(store, period, today, fields, due, completeness=True)
    before = _figures(store, previous, today, fields, due, completeness=False)
    names = sorted(set(now) | set(before), key=lambda r: (r == NOBODY, r))
    if owner is not None:
        if owner not in names:  # no customer of theirs, nothing sold, visited or called by them
            from ..config_names import unknown_rep

            raise unknown_rep(store, owner)
        names = [owner]
    rows = []
    for rep in names:
        mine, theirs = now.get(rep, _empty()), before.get(rep, _empty())
        rows.append(RepReview(rep, {m: Figure.of(mine[m], theirs[m]) for m in METRICS}))
    total_now = _sum([now.get(r, _empty()) for r in names])
    total_before = _sum([before.get(r, _empty()) for r in names])
    total = {m: Figure.of(total_now[m], total_before[m]) for m in METRICS}
    return RepsReport(today, unit, period, previous, fields, rows, total)


def card_field_slips(store: Store) -> list[Problem]:
    """Warnings for ``reps: card_fields`` names that look like a slip of the keyboard
    (:mod:`kehu_core.field_slips`, the rule of ``confidential: fields:`` too): `phonse` was
    counted as a field no card ever has filled in, every rep's completeness lower by a share,
    with `kehu check` ok and no word from `kehu report reps`."""
    from ..field_slips import meant_fields, slip_problem

    fields = list(store.config.reps.card_fields)
    parts = [(n, part.strip()) for n, name in enumerate(fields) for part in name.split("|")]
    meant = meant_fields(store, [part for _n, part in parts])
    return [slip_problem(store, ["reps", "card_fields", n], _(
        "reps.card_fields: no customer has a field {name}, so the cards' completeness counts it as never "
        "filled in; did you mean {meant}?").format(name=repr(part), meant=repr(meant[part])))
        for n, part in parts if part in meant]


def _empty() -> dict[str, Any]:
    out: dict[str, Any] = {m: 0 for m in METRICS}
    out.update({m: ZERO for m in MONEY})
    out["completeness"] = None
    out["collection_rate"] = None
    out["_filled"] = 0.0
    return out


def _sum(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total = _empty()
    for row in rows:
        for m in METRICS:
            if m not in ("completeness", "collection_rate"):
                total[m] += row[m]
        total["_filled"] += row["_filled"]
    _ratios(total, any(r["completeness"] is not None for r in rows))
    return total


def _ratios(row: dict[str, Any], completeness: bool) -> None:
    row["collection_rate"] = percent(row["collections"], row["sales"]) if row["sales"] else None
    if completeness:
        row["completeness"] = round(row["_filled"] / row["customers"] * 100, 1) if row["customers"] else None


def filled(profile: dict[str, Any], fields: list[str]) -> float:
    """The share of ``fields`` (``a|b``: either) this profile has a value for."""
    have = 0
    for name in fields:
        if any(profile.get(part.strip()) not in (None, "", [], {}) for part in name.split("|")):
            have += 1
    return have / len(fields)


def _figures(store: Store, period: Period, today: dt.date, fields: list[str], due: list[Reminder], *,
             completeness: bool) -> dict[str, dict[str, Any]]:
    from .. import complaints as workflow
    from ..reminder_state import done_between

    info = customers(store)
    owner_of = {cid: c.owner or NOBODY for cid, c in info.items()}
    rows: dict[str, dict[str, Any]] = {}

    def row(rep: str | None) -> dict[str, Any]:
        return rows.setdefault(rep or NOBODY, _empty())

    last = min(period.last, today)  # figures "at the end" of the current period: today
    profiles = dict(store.index.profile_dicts()) if completeness else {}
    # a confidential card field is filled when it is written encrypted: the index holds its name
    # (never its value)
    secret = set(store.config.confidential.fields) & {p.strip() for f in fields for p in f.split("|")}
    sealed = store.index.sealed_names() if completeness and secret else {}
    for cid, c in info.items():
        if c.created is None or c.created < period.end:
            r = row(owner_of[cid])
            r["customers"] += 1
            if completeness:
                profile = profiles.get(cid, {})
                if secret and cid in sealed:
                    from ..confidential import LOCK

                    profile = {**profile, **{n: LOCK for n in sealed[cid] & secret}}
                r["_filled"] += filled(profile, fields)
        if c.created is not None and period.start <= c.created < period.end:
            row(owner_of[cid])["new_customers"] += 1

    for cid in _cards_changed(store, period):
        if cid in owner_of:
            row(owner_of[cid])["cards_updated"] += 1

    for kind, metric in (("visit", "visits"), ("call", "calls")):
        for record in store.index.interactions(kind=kind):
            day = dt.date.fromisoformat(str(record["date"])[:10])
            if period.start <= day < period.end:
                row(record.get("by") or owner_of.get(record["customer_id"]))[metric] += 1

    start_text, end_text = period.start.isoformat(), period.end.isoformat()
    for record in store.index.purchases(until=end_text):
        if record.get("paid") is True and not record.get("payments") and not start_text <= record["date"] < end_text:
            continue  # paid at the counter before the period: no sale, money or debt in it
        cid = record.pop("customer_id")
        p = parse_interaction(record)
        assert isinstance(p, Purchase)
        seller = p.by or owner_of.get(cid)
        if period.start <= p.date < period.end:
            row(seller)["sales"] += p.amount or ZERO
        if p.payments:
            for pay in p.payments:
                if period.start <= pay.date < period.end:
                    row(pay.by or owner_of.get(cid))["collections"] += pay.amount
        else:
            row(seller)["collections"] += p.collected_between(period.start, period.last)
        if (p.due or p.date) < last:
            row(owner_of.get(cid) or p.by)["overdue"] += p.owed_on(last)

    end_moment = dt.datetime.combine(period.last, dt.time(23, 59))
    for v in workflow.complaints(store):
        c: Complaint = v.complaint
        r = row(v.handler)
        if period.start <= c.date < period.end:
            r["complaints"] += 1
        resolved = workflow.when(c, workflow.RESOLVED)
        legacy_done = resolved is None and not v.unfinished  # resolved before kehu kept when
        if c.date <= period.last and not legacy_done and (resolved is None or resolved > end_moment):
            r["complaints_open"] += 1
        if resolved is not None and period.start <= resolved.date() < period.end:
            key = "complaints_resolved_in_time" if resolved <= v.deadlines.resolve_by else "complaints_resolved_late"
            r[key] += 1

    for cid, _day, key in done_between(store, period.start, period.last):
        r = row(owner_of.get(cid))
        r["reminders_done"] += 1
        if key.startswith("visit:"):
            r["visits_planned"] += 1  # a key-account visit that fell due and was done
    for reminder in due:
        if not period.start <= reminder.due <= period.last:
            continue
        r = row(owner_of.get(reminder.customer_id))
        if reminder.due < today:
            r["reminders_missed"] += 1  # fell due and nobody did it
        if reminder.rule == "visit":
            r["visits_planned"] += 1

    for rep, added in _hand_planned(store, period).items():
        row(rep)["visits_planned"] += added

    for r in rows.values():
        for m in MONEY:
            r[m] = to_money(r[m])
        _ratios(r, completeness)
    return rows


def _hand_planned(store: Store, period: Period) -> dict[str, int]:
    """Per rep, the visits they added to a day's plan by hand (``kehu visits plan --add``,
    kept in ``visits/REP/DAY.yaml``) on the days of the period."""
    from ..visits import planfile

    folder = store.root / planfile.PLANS_DIR
    out: dict[str, int] = {}
    if folder.is_symlink() or not folder.is_dir():  # a link out of the store: never followed
        return out
    # a link, or a folder no rep can own (`kehu check` names both), is no rep's plans
    for rep_dir in sorted(p for p in folder.iterdir() if not p.is_symlink() and p.is_dir()):
        rep = planfile.folder_owner(rep_dir.name)
        if rep is None:
            continue
        for day in (period.start + dt.timedelta(days=n) for n in range(period.days)):
            # whatever is there (a FIFO, a folder, a link, a folder that cannot be entered), as
            # `kehu visits plan` reads the day: is_file() passed over a FIFO or a folder unsaid,
            # lexists() over a rep's folder without its x bit, the rep's visits counted short
            added = len(planfile.read(store, rep, day).add)
            if added:
                out[rep] = out.get(rep, 0) + added
    return out


def _cards_changed(store: Store, period: Period) -> set[str]:
    """Customers whose folder changed in the period: kehu's change journal (this clone's
    commands and TUI saves) and the commits of the period (changes from other clones)."""
    from .. import journal_entries
    from ..services import gitops

    found: set[str] = set()
    for entry in journal_entries.entries(store):
        day = dt.date.fromisoformat(entry.when[:10])
        if period.start <= day < period.end and entry.undone_by is None and entry.undoes is None:
            found.update(_customer_of(f.path) for f in entry.files)
    if gitops.has_repo(store.root):  # one it cannot read is said, never a history left out
        since = (period.start - dt.timedelta(days=1)).isoformat()
        # -z: each name as it is; git quotes one past ASCII otherwise ("customers/…/\\351\\231…",
        # a colleague's 附件/合同.pdf), and its customer was no card updated
        log = gitops.run(store.root, "log", "-z", f"--since={since}", "--format=\x1e%ad", "--date=short",
                         "--name-only", "--", "customers", check=False).stdout
        for chunk in log.split("\x1e"):
            head, _, names = chunk.partition("\0")
            try:
                day = dt.date.fromisoformat(head.strip())
            except ValueError:
                continue
            if period.start <= day < period.end:
                found.update(_customer_of(name.strip("\n")) for name in names.split("\0") if name.strip("\n"))
    found.discard("")
    return found


def _customer_of(path: str) -> str:
    """The customer id of a path under ``customers/<shard>/<id>/``, else ''."""
    parts = path.replace("\\", "/").split("/")
    return parts[2] if len(parts) > 2 and parts[0] == "customers" else ""


def money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
