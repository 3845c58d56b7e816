"""``serve:`` in kehu.yaml: who may log in to ``kehu serve`` (docs/serve.md)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .config_names import rep_name_problem
from .i18n import _
from .keytext import key_text

_LOGIN = re.compile(r"[A-Za-z0-9._-]+\Z")  # a login is a path segment of kehu serve's URLs


class ServeUser(BaseModel):
    """One login of ``kehu serve`` (``serve: users:`` in kehu.yaml): a rep, who sees and edits
    the customers they own, or a supervisor, who sees and edits everyone."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    rep: str | None = Field(None, min_length=1, description="the owner name of the rep's customers")
    supervisor: bool = Field(False, description="sees and edits every customer")
    name: str | None = Field(None, min_length=1,
                             description="who the change journal names (default: the rep, else the login)")

    @field_validator("rep", "name")
    @classmethod
    def _rep_name(cls, value: str | None) -> str | None:
        if value is not None and (problem := rep_name_problem(value)) is not None:
            raise ValueError(problem)
        return None if value is None else key_text(value)  # as the owner it names is stored

    @model_validator(mode="after")
    def _rep_or_supervisor(self) -> ServeUser:
        if bool(self.rep) == bool(self.supervisor):
            raise ValueError(_("give either rep: NAME (a rep) or supervisor: true, not both or neither"))
        return self

    @property
    def who(self) -> str:
        return self.name or self.rep or ""


class ServeSettings(BaseModel):
    """``serve:`` in kehu.yaml: who may log in to ``kehu serve`` (docs/serve.md)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    htpasswd: str = Field(min_length=1, description="the htpasswd file (bcrypt); absolute or relative to the store")
    users: dict[str, ServeUser] = Field(default_factory=dict)
    workers: int | None = Field(default=None, ge=0, le=64, description=(
        "processes that make an address book made whole and render its cards (default: one a core, at most 4, "
        "for a book of 1000 customers or more; 0: none)"))

    def htpasswd_file(self, root: Path) -> Path:
        """The htpasswd file: ``~`` expanded, a relative path taken from the store's folder ``root``."""
        path = Path(self.htpasswd).expanduser()
        return path if path.is_absolute() else root / path

    @field_validator("users")
    @classmethod
    def _plain_logins(cls, value: dict[str, ServeUser]) -> dict[str, ServeUser]:
        for login in value:
            if not _LOGIN.match(login):
                raise ValueError(_("{login}: a login is letters, digits, '.', '_' or '-'").format(login=repr(login)))
        return value
