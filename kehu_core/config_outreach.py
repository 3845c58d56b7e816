"""``smtp:`` and ``outreach:`` in kehu.yaml: the email server of ``kehu send`` and its pace."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .i18n import _


class MailServerSettings(BaseModel):
    """``smtp:`` in kehu.yaml: the email server of `kehu send`: `host`, `port`, `security`,
    `username`, `password_env`, `from`, `timeout` (see docs/reports.md). Never a `password`:
    kehu.yaml is shared by `kehu sync`, so one written here would be pushed to the team's remote;
    it is refused, at its line, whenever kehu.yaml is read."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    password: None = Field(None, description="never here: the password is read from the variable password_env "
                                             "names")
    # read by every door's rule of numbers, at their line, as every setting's (`port: 4_65` was
    # port 465, `timeout: abc` ended `kehu send` in "internal error: ValueError")
    port: int | None = Field(None, ge=1, le=65535, description="the server's port (default 25; 465: ssl, "
                                                                "587: starttls)")
    timeout: float | None = Field(None, gt=0, le=3600, description="seconds to wait for the server (default 30)")

    @field_validator("password", mode="before")
    @classmethod
    def _no_password(cls, value: Any) -> None:
        raise ValueError(_("passwords are never kept in the store (it is shared through git); remove it, "
                           "put the password in an environment variable and name that variable in "
                           "smtp.password_env"))


#: `kehu send`'s pace when neither `--rate` nor kehu.yaml's `outreach.rate_per_minute` gives one
DEFAULT_RATE = 30
#: the slowest pace, in messages a minute: one in under 17 hours
LEAST_RATE = 0.001


def rate_problem(per_minute: float) -> str | None:
    """What is wrong with a send's pace (`--rate`, `outreach.rate_per_minute`), or None: a
    number, LEAST_RATE at the least. `1e-9` sent one message, then waited past what time.sleep
    takes ("internal error: OverflowError"), the rest unsent; `nan` was no rate."""
    if math.isfinite(per_minute) and per_minute >= LEAST_RATE:
        return None
    return _("rate {per_minute}: expected a number of messages per minute, at least {least}").format(
        per_minute=per_minute, least=LEAST_RATE)


class OutreachSettings(BaseModel):
    """``outreach:`` in kehu.yaml: how `kehu send` paces its messages (see docs/reports.md)."""

    # a settings model, read as kehu.yaml is (`kehu check` too): `rate_per_minute: abc` was read
    # by `kehu send` alone, refused only as it ran
    model_config = ConfigDict(defer_build=True, extra="forbid")

    rate_per_minute: float | None = Field(
        None, description=f"messages a minute `kehu send` sends at most (default {DEFAULT_RATE}); `--rate` wins")

    @field_validator("rate_per_minute")
    @classmethod
    def _a_pace(cls, value: float | None) -> float | None:
        problem = None if value is None else rate_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value
