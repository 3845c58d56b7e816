"""What happens with a customer: the union that reads any kind of interaction (purchase, visit,
call, message, complaint, feedback, note) by its ``kind``, and the kinds with no more to them than
a text (visit, call, message, feedback, note). A purchase is in ``purchase``, a complaint in
``complaint``, what every kind has in ``interaction_base``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, TypeAdapter, field_validator

from ..i18n import _
from .complaint import Complaint
from .fields import Whole, shows_something
from .hostile import OneLine
from .interaction_base import InteractionBase, blank_is_none
from .purchase import Purchase


class Visit(InteractionBase):
    kind: Literal["visit"] = "visit"


class Call(InteractionBase):
    kind: Literal["call"] = "call"


def text_missing(kind: str, text: str | None) -> str | None:
    """Why a new record of ``kind`` with this ``text`` says nothing, or None. Every door that
    records one asks (`interaction add --text`, the TUI's form, `visits done --outcome`): a
    visit, call, message, complaint, feedback or note is what was said or done; a purchase
    says it in its items. The TUI's form saved an empty visit on a stray Enter, `interaction
    add --text " "` one of spaces. Files written so earlier, or by hand, are still read."""
    if kind == "purchase" or (text is not None and shows_something(text)):
        return None
    return _("say what happened (a {kind} recorded with no text tells nothing to whoever reads it later)").format(
        kind=kind)


class Message(InteractionBase):
    kind: Literal["message"] = "message"
    channel: OneLine | None = None  # wechat, sms, email ...

    _channel = field_validator("channel", mode="before")(blank_is_none)


class Feedback(InteractionBase):
    kind: Literal["feedback"] = "feedback"
    rating: Whole | None = Field(default=None, ge=1, le=5)


class Note(InteractionBase):
    kind: Literal["note"] = "note"


Interaction = Annotated[
    Purchase | Visit | Call | Message | Complaint | Feedback | Note,
    Field(discriminator="kind"),
]
INTERACTION_KINDS = ("purchase", "visit", "call", "message", "complaint", "feedback", "note")
interaction_adapter: TypeAdapter[Interaction] = TypeAdapter(Interaction, config=ConfigDict(defer_build=True))


def parse_interaction(data: dict[str, Any]) -> Interaction:
    return interaction_adapter.validate_python(data)
