"""A complaint (投诉), its states and the moves along them (the workflow is :mod:`kehu_core.complaints`)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..clock import day_range_problem
from ..i18n import N_, _
from .hostile import OneLine
from .interaction_base import InteractionBase, blank_is_none

ComplaintState = Literal["open", "acknowledged", "resolved", "closed"]
COMPLAINT_STATES: tuple[str, ...] = ("open", "acknowledged", "resolved", "closed")


def _check_minute(value: str, fmt: str, what: str) -> str:
    """``value`` in its one spelling (``strptime`` takes ``9:5`` for 09:05: written as typed, a
    YAML 1.1 reader took it for the number 545, and texts compared as written sorted wrong),
    read as a day is (``clock.typed_day``): in full-width digits (``２３:５９``, an IME's) and
    with spaces around it, which ``--date`` took and ``--time`` refused (``９:５`` it took:
    ``strptime`` reads one such digit where the hour or the minute may have one)."""
    try:
        return dt.datetime.strptime(unicodedata.normalize("NFKC", value).strip(), fmt).strftime(fmt)
    except ValueError:
        raise ValueError(_("{value} is not {what}").format(value=repr(value), what=_(what))) from None


class ComplaintStep(BaseModel):
    """One move of a complaint along open → acknowledged → resolved → closed: who, when."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    state: ComplaintState
    at: str  # YYYY-MM-DDTHH:MM, the store's local time (a string: every YAML loader agrees)
    by: OneLine | None = None
    text: str | None = None

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, value: Any) -> str:
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%dT%H:%M")
        text = _check_minute(str(value), "%Y-%m-%dT%H:%M", N_("a moment; expected YYYY-MM-DDTHH:MM"))
        # a move on a day kehu keeps, as every other date: one dated 9999-12-31 (a hand edit)
        # made every later move refused as "dated before" it
        problem = day_range_problem(dt.date.fromisoformat(text[:10]))
        if problem is not None:
            raise ValueError(problem)
        return text

    @property
    def moment(self) -> dt.datetime:
        return dt.datetime.strptime(self.at, "%Y-%m-%dT%H:%M")


class Complaint(InteractionBase):
    """A complaint (投诉) and how it was handled; the workflow is :mod:`kehu_core.complaints`.

    ``status`` is the state it is in now; ``history`` the moves that brought it there (the
    file written before the workflow existed has ``status: open|resolved`` and no history)."""

    kind: Literal["complaint"] = "complaint"
    status: ComplaintState = "open"
    time: str | None = None  # HH:MM it was received, when known: deadlines count from it
    resolution: str | None = None
    history: list[ComplaintStep] = Field(default_factory=list)

    _resolution = field_validator("resolution", mode="before")(blank_is_none)

    @field_validator("resolution")
    @classmethod
    def _resolved_to_have_one(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A resolution belongs to a complaint that is resolved (or closed since): `interaction add
        --kind complaint --resolution 已换` (no --status) stored an open complaint with it, which
        stood overdue in `kehu reminders` and counted open in the reports while its file and
        `customer show` said how it was resolved. `kehu complaint resolve --text` records both."""
        status = info.data.get("status")
        if value is not None and status in ("open", "acknowledged"):
            raise ValueError(_("a resolution is for a resolved complaint, and this one is {status}: resolve it "
                               "(`kehu complaint resolve --text`, or --status resolved as it is recorded), "
                               "or leave the resolution out").format(status=status))
        return value

    @field_validator("time", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        if isinstance(value, dt.time):
            return value.strftime("%H:%M")
        if isinstance(value, int):  # 14:30 read by a YAML 1.1 loader as sexagesimal 870
            return f"{value // 60:02d}:{value % 60:02d}"
        return None if value in (None, "") else _check_minute(str(value), "%H:%M", N_("a time; expected HH:MM"))

    @field_validator("history")
    @classmethod
    def _moves_after_it_was_received(cls, value: list[ComplaintStep],
                                     info: ValidationInfo) -> list[ComplaintStep]:
        """No move dated before the complaint was received, and the status not behind a move
        made (a file older than the workflow may be further on than its history), as `kehu
        complaint ack|resolve|close` makes them: a hand edit doing otherwise passed `kehu
        check`, and the complaints report counted a complaint answered before it was received
        as handled in time, in 0.0 h; a status behind its history let the move be made again.
        (Two moves to one state, or moves out of order, are what a merge of two clones' moves
        makes: the status says where the complaint is, and each state's latest move counts.)"""
        day, time = info.data.get("date"), info.data.get("time")
        received = None if day is None else dt.datetime.combine(
            day, dt.datetime.strptime(time, "%H:%M").time() if time else dt.time(0, 0))
        for step in value:
            if received is not None and step.moment < received:
                raise ValueError(_("a move to {state} at {at} is before the complaint was received ({date})").format(
                    state=step.state, at=step.at, date=received.strftime("%Y-%m-%d %H:%M")))
        status = info.data.get("status")
        furthest = max((COMPLAINT_STATES.index(step.state) for step in value), default=None)
        if furthest is not None and status in COMPLAINT_STATES and COMPLAINT_STATES.index(status) < furthest:
            raise ValueError(_("the last move is to {state}, but status: {status} is before it").format(
                state=COMPLAINT_STATES[furthest], status=status))
        return value

    def step(self, state: str) -> ComplaintStep | None:
        """The move into ``state`` (the latest, if there were several), or None."""
        found = [s for s in self.history if s.state == state]
        return found[-1] if found else None
