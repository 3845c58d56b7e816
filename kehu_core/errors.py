"""Errors that name the file and line a user has to look at (beancount style)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: The logger plugin failures go to (``kehu_core.plugins.logger``; the CLI prints them).
PLUGIN_LOGGER = "kehu.plugins"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the store, printed as ``path:line: message``."""

    path: Path
    line: int
    message: str
    #: for a validation error (``kehu_core.problems``): the field's location and the reason
    #: alone, so a form can put the reason under the field
    loc: tuple[str | int, ...] = field(default=(), compare=False, repr=False)
    reason: str = field(default="", compare=False, repr=False)

    def render(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class KehuError(Exception):
    """Base of every error kehu reports to a user (exit code 1)."""


class StoreError(KehuError):
    """The store is missing, unreadable or not a kehu store."""


class RecordError(KehuError):
    """A record file is broken; carries the problems found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))


class NotFound(KehuError):
    """No customer (or interaction) with that id."""


class ConflictError(KehuError):
    """Somebody else changed the record since it was read; nothing was written."""


class InvalidId(KehuError, ValueError):  # a ValueError, so pydantic reports it with its field
    """An id that could name a path outside its folder, or is otherwise unusable."""
