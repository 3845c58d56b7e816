"""Complaints resolved in time (投诉处理): the one home of the workflow and its deadlines.

The seeds' way of handling a complaint: listen, confirm and record the problem (the complaint
is recorded: ``open``), tell the customer what will happen (``acknowledged``), solve it
(``resolved``), follow up (``closed``). Each move is kept on the complaint's own file as a
``history`` entry with who and when, written by a round-trip edit (only those lines change)::

    kind: complaint
    date: 2026-11-20
    time: '09:30'
    text: 茶叶受潮
    status: resolved
    resolution: 换了一罐新的
    history:
    - {state: acknowledged, at: 2026-11-20T10:05, by: 王芳, text: 已致电，明天上门更换}
    - {state: resolved, at: 2026-11-21T15:00, by: 王芳, text: 换了一罐新的}

Deadlines come from ``complaints:`` in kehu.yaml (:class:`~kehu_core.config.ComplaintSettings`)
and count from when the complaint was received: its ``date`` and ``time``; a complaint without
a time counts as received at 23:59 of its day. Respond by = received + ``respond_within_hours``;
resolve by = received + ``resolve_within_days``.

Moves go forward one step at a time; ``resolve`` of an ``open`` complaint acknowledges it in
the same moment (a problem solved on the phone was answered too), every other skip, a step
back or a repeat is refused with a message. Files written before the workflow
(``status: open|resolved``, no history) keep working: the state is their ``status``, and the
moment of a move that has no history entry is unknown (left out of handling times).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import KehuError
from .i18n import _
from .models import COMPLAINT_STATES, Complaint, Customer, parse_interaction, shows_something

if TYPE_CHECKING:
    from .config import ComplaintSettings
    from .store import Store

OPEN, ACKNOWLEDGED, RESOLVED, CLOSED = COMPLAINT_STATES
UNFINISHED = (OPEN, ACKNOWLEDGED)  # still to be answered or resolved
#: a complaint without a time counts as received at the end of its day
END_OF_DAY = dt.time(23, 59)
#: what each command moves a complaint to
VERBS = {"ack": ACKNOWLEDGED, "resolve": RESOLVED, "close": CLOSED}


def moment(store: Store) -> dt.datetime:
    """The store's now, to the minute, in local time without a zone (as the files hold it)."""
    return store.now().replace(tzinfo=None, second=0, microsecond=0)


def _time_of(complaint: Complaint) -> dt.time | None:
    return dt.datetime.strptime(complaint.time, "%H:%M").time() if complaint.time else None


def received(complaint: Complaint) -> dt.datetime:
    """When the complaint was received: its date and time (23:59 when no time is recorded)."""
    return dt.datetime.combine(complaint.date, _time_of(complaint) or END_OF_DAY)


@dataclass(frozen=True)
class Deadlines:
    respond_by: dt.datetime
    resolve_by: dt.datetime


def deadlines(settings: ComplaintSettings, complaint: Complaint) -> Deadlines:
    start = received(complaint)
    return Deadlines(start + dt.timedelta(hours=settings.respond_within_hours),
                     start + dt.timedelta(days=settings.resolve_within_days))


def when(complaint: Complaint, state: str) -> dt.datetime | None:
    """When the complaint moved into ``state``; None if it has not, or the moment is unknown."""
    step = complaint.step(state)
    return step.moment if step is not None else None


def reached(complaint: Complaint, state: str) -> bool:
    return COMPLAINT_STATES.index(complaint.status) >= COMPLAINT_STATES.index(state)


@dataclass
class ComplaintView:
    """A complaint with its customer, deadlines and where it stands at ``now``."""

    customer_id: str
    customer_name: str
    handler: str | None  # the customer's owner: who handles it
    complaint: Complaint
    deadlines: Deadlines
    now: dt.datetime

    @property
    def state(self) -> str:
        return self.complaint.status

    @property
    def unfinished(self) -> bool:
        return self.state in UNFINISHED

    @property
    def respond_overdue(self) -> bool:
        """Not answered yet, and the respond-by moment has passed."""
        return self.state == OPEN and self.now > self.deadlines.respond_by

    @property
    def resolve_overdue(self) -> bool:
        """Not resolved yet, and the resolve-by moment has passed."""
        return self.unfinished and self.now > self.deadlines.resolve_by

    @property
    def overdue(self) -> bool:
        return self.respond_overdue or self.resolve_overdue

    @property
    def next_deadline(self) -> dt.datetime | None:
        if self.state == OPEN:
            return self.deadlines.respond_by
        return self.deadlines.resolve_by if self.state == ACKNOWLEDGED else None

    def to_json(self) -> dict[str, Any]:
        c = self.complaint
        return {
            "customer_id": self.customer_id, "customer_name": self.customer_name,
            "id": c.id, "date": c.date.isoformat(), "time": c.time, "text": c.text,
            "state": c.status, "handler": self.handler, "recorded_by": c.by,
            "received": _minute(received(c)),
            "respond_by": _minute(self.deadlines.respond_by),
            "resolve_by": _minute(self.deadlines.resolve_by),
            "respond_overdue": self.respond_overdue, "resolve_overdue": self.resolve_overdue,
            "resolution": c.resolution,
            "history": [s.model_dump(exclude_none=True) for s in c.history],
        }


def _minute(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def _at(text: str) -> str:
    return text.replace("T", " ")


def view(store: Store, customer: Customer, complaint: Complaint, now: dt.datetime | None = None) -> ComplaintView:
    return ComplaintView(customer.id, customer.name, customer.owner, complaint,
                         deadlines(store.config.complaints, complaint), now or moment(store))


def complaints(store: Store, *, open_only: bool = False, owner: str | None = None,
               customer_id: str | None = None) -> list[ComplaintView]:
    """Complaints with their deadlines, the most urgent first (unfinished ones by their next
    deadline, then the finished ones, newest first). ``open_only``: open or acknowledged;
    ``owner``: complaints of that rep's customers; ``customer_id``: one customer's, read
    from the files (the customer screen)."""
    now = moment(store)
    found: list[ComplaintView] = []
    if customer_id is not None:
        customer = store.get(customer_id)
        found = [view(store, customer, i, now) for i in store.interactions(customer_id)
                 if isinstance(i, Complaint)]
    else:
        people: dict[str, Customer | None] = {}
        for record in store.index.interactions(kind="complaint"):
            cid = record.pop("customer_id")
            if cid not in people:
                row = store.index.get(cid)
                people[cid] = row.customer if row is not None else None
            customer = people[cid]
            complaint = parse_interaction(record)
            if customer is not None and isinstance(complaint, Complaint):
                found.append(view(store, customer, complaint, now))
    if open_only:
        found = [v for v in found if v.unfinished]
    if owner is not None:
        found = [v for v in found if v.handler == owner]
    pending = sorted((v for v in found if v.unfinished),
                     key=lambda v: (v.next_deadline or now, v.customer_name, v.complaint.id))
    done = sorted((v for v in found if not v.unfinished),
                  key=lambda v: (v.complaint.date, v.complaint.id), reverse=True)
    return pending + done


def move(store: Store, customer_id: str, complaint_id: str, verb: str, *,
         by: str | None = None, text: str | None = None) -> ComplaintView:
    """``ack``, ``resolve`` or ``close`` a complaint: the one function the CLI and the TUI
    call. ``by`` defaults to the customer's owner, the moment is the store's now. Refuses
    (KehuError, nothing written) a step back, a repeat, a skip (but ``resolve`` of an open
    complaint, which acknowledges it too) and a moment before the complaint was received."""
    if verb not in VERBS:
        raise KehuError(_("{verb}: expected one of {join}").format(verb=repr(verb), join=', '.join(VERBS)))
    target = VERBS[verb]
    if text is not None and not shows_something(text):  # spaces say nothing: `--text "  "` was kept on the
        text = None  # move and as the resolution, as if something had been said
    customer = store.get(customer_id)
    with store.lock():
        record = store.get_interaction(customer_id, complaint_id)
        if not isinstance(record, Complaint):
            raise KehuError(_("{complaint_id} of {name} ({customer_id}) is a {kind}, not a complaint").format(
                complaint_id=complaint_id, name=customer.name, customer_id=customer_id, kind=record.kind))
        current = record.status
        name = f"complaint {complaint_id} of {customer.name}"
        states = COMPLAINT_STATES
        if current == target:
            step = record.step(target)
            since = f" ({_at(step.at)}{', by ' + step.by if step.by else ''})" if step else ""
            raise KehuError(_("{name} is already {current}{since}").format(name=name, current=current, since=since))
        if states.index(target) < states.index(current):
            raise KehuError(_("{name} is {current}: it cannot go back to {target}").format(
                name=name, current=current, target=target))
        skipped = [s for s in states[states.index(current) + 1:states.index(target)]]
        if skipped and not (target == RESOLVED and skipped == [ACKNOWLEDGED]):
            raise KehuError(_("{name} is {current}: {join} first (open → acknowledged → resolved → closed)").format(
                name=name, current=current, join=' and '.join(skipped)))
        now = moment(store)
        if now < dt.datetime.combine(record.date, _time_of(record) or dt.time(0, 0)):
            raise KehuError(_("{name} was received {date}{value}: it cannot be {target} before that ({at})").format(
                name=name, date=record.date, value=' ' + record.time if record.time else '', target=target,
                at=_at(_minute(now))))
        last = record.history[-1] if record.history else None
        if last is not None and now < last.moment:
            raise KehuError(_("{name} was {state} {at}: a later move cannot be dated before that ({at2})").format(
                name=name, state=last.state, at=_at(last.at), at2=_at(_minute(now))))
        who = by or customer.owner
        steps = [_step(s, now, who, text if s == target else None) for s in (*skipped, target)]
        changes: dict[str, Any] = {"status": target}
        if target == RESOLVED and text:
            changes["resolution"] = text
        updated = store.update_interaction(customer_id, complaint_id, changes, append={"history": steps})
    assert isinstance(updated, Complaint)
    return view(store, customer, updated, now)


def _step(state: str, at: dt.datetime, by: str | None, text: str | None) -> dict[str, Any]:
    step: dict[str, Any] = {"state": state, "at": _minute(at)}
    if by:
        step["by"] = by
    if text:
        step["text"] = text
    return step
