"""What plugins compute and keep: a reminder, and a line of a plugin's ledger."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    model_validator,
)

from .customer import Reason
from .fields import Day
from .hostile import refuse_deep


class Reminder(BaseModel):
    """Something a rep should do for a customer on a day (greeting, birthday, visit ...)."""

    model_config = ConfigDict(defer_build=True)

    customer_id: str
    customer_name: str
    due: dt.date
    rule: str
    title: str
    key: str = Field(description="stable id of this reminder, used to mark it done or snooze it")
    detail: str | None = None
    group: str | None = Field(None, description="set by the engine: complaints, payments, visits, occasions, "
                                                "follow_ups, contact or other (kehu_core.reminder_engine.GROUPS)")


class LedgerEntry(BaseModel):
    """What every line of a plugin's ledger (points, tiers, reminders) must hold, so that a
    hand-edited line is found by ``kehu check`` rather than crashing the plugin reading it:
    a ``date`` and an ``until`` (1900-01-01 to 2199-12-31), a whole-number ``delta``, an
    ``expires`` date, and an ``id``, ``reason``, ``ref`` and ``note`` of text where present.
    Checked when a line is written and when a ledger is read; plugins'
    own keys are kept as they are."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    date: Day
    delta: Annotated[int, Strict()] | None = None
    # computed from a date (a purchase's, plus a year): may lie past LATEST_DAY
    expires: dt.date | None = None
    # a day someone chose (`kehu reminders snooze --until`, which keeps the range): a hand-edited
    # `until: 9999-12-31` passed `kehu check` while the command refused it
    until: Day | None = None
    # text where present: the entry's id (two equal entries of two clones stay two), and what
    # the points ledger keys on (`reason: purchase`, the sale it is of as `ref`, a redemption's
    # `note`): a hand-edited `reason: [1]` or `ref: [1]` passed `kehu check`, then ended
    # `kehu points` and `points rebuild` in "internal error: TypeError: unhashable type"
    id: Annotated[Reason, Strict()] | None = None
    reason: Annotated[Reason, Strict()] | None = None
    ref: Annotated[Reason, Strict()] | None = None
    note: Annotated[Reason, Strict()] | None = None
    # text where present, as the tiers ledger moves a customer (`{from: 小客户, to: 重要客户, why:
    # …}`): a hand-edited `to: [1]` or `from: {a: 1}` passed `kehu check`, then ended `kehu tier`
    # and `kehu tier record` in "internal error: TypeError: unhashable type"
    from_: Annotated[Reason, Strict()] | None = Field(None, alias="from")
    to: Annotated[Reason, Strict()] | None = None
    why: Annotated[Reason, Strict()] | None = None

    def as_entry(self, raw: dict[str, Any]) -> dict[str, Any]:
        """``raw`` with its dates as dates (a quoted '2026-11-01' too), as plugins read it."""
        out = dict(raw)
        for key in ("date", "expires", "until"):
            if raw.get(key) is not None:
                out[key] = getattr(self, key)
        return out

    @model_validator(mode="before")
    @classmethod
    def _not_too_deep(cls, data: Any, info: ValidationInfo) -> Any:
        return refuse_deep(data, info)
