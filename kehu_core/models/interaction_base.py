"""What every kind of interaction has (:class:`InteractionBase`), and the rule of a text of nothing."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from ..ids import check_id
from .fields import Day, shows_something
from .hostile import OneLine, refuse_deep


class InteractionBase(BaseModel):
    """What every interaction has. ``id`` is the file's name, unique within the customer."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    id: str
    date: Day
    text: str | None = None
    by: OneLine | None = None  # the rep who recorded it

    @model_validator(mode="before")
    @classmethod
    def _not_too_deep(cls, data: Any, info: ValidationInfo) -> Any:
        return refuse_deep(data, info)

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        return check_id(value, "interaction id")



def blank_is_none(value: Any) -> Any:
    """A text of nothing (``--channel ""``, ``resolution: '  '`` by hand) is none, as a blank
    gift or tag is: the TUI's form leaves an empty field out, and `interaction add` stored
    ``channel: ''``, which `customer show` and the exports then listed as a channel."""
    return None if isinstance(value, str) and not shows_something(value) else value
