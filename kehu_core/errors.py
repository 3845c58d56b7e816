"""Errors that name the file and line a user has to look at (beancount style)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from .i18n import N_, _

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
    #: the value refused (a validation error's input): the CLI names the argument that gave it
    value: object = field(default=None, compare=False, repr=False)

    def render(self) -> str:
        """One line: a message quoting words kehu did not write (a plugin's validator, a value)
        shows their line feed or ESC escaped, as every kehu error's (:func:`shown_path`); raw,
        `kehu check` printed a line of the plugin's choosing ("kehu: ok ...")."""
        return f"{shown_path(self.path)}:{self.line}: {shown_path(self.message)}"


def shown_path(path: Path | str) -> str:
    """A path as kehu prints it: a byte of its name that is not UTF-8 as ``\\xff``, and a
    control character (a line feed, ESC) as ``\\n`` or ``\\x1b``, as git quotes names. A
    file's name comes from whoever made it (a colleague's commit): raw, a line feed cut the
    ``path:line:`` line in two and ESC drove the terminal of whoever ran ``kehu check``."""
    text = str(path)
    if text.isprintable():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # os.fsdecode's stand-ins for bytes that are not UTF-8
        # (not os.fsencode: under LC_ALL=C with PYTHONUTF8=0 its ASCII refused the text's
        # Chinese beside them, an import's summary of 张三 from 客户.csv an "internal error")
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a lone surrogate no byte stands for
            raw = text.encode("utf-8", "backslashreplace")
        text = raw.decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() or unicodedata.category(c) == "Zs"
                   else c.encode("unicode_escape").decode("ascii") for c in text)


class KehuError(Exception):
    """Base of every error kehu reports to a user (exit code 1).

    Its message is one line per argument (``KehuError(first, *more)``): a control character
    inside one — a line feed or ESC in a path or an id it names, wherever the value came from
    (an argument a script passed on, a colleague's file name) — is shown escaped, ``\\n`` or
    ``\\x1b`` (:func:`shown_path`). Raw, a path's line feed made the message's second line read
    as a message of kehu's own (``kehu: ok ...``). The one home of that rule: every door's
    message is an error's ``str`` (the CLI's, the TUI's, ``kehu serve``'s answers)."""

    def __str__(self) -> str:
        return "\n".join(shown_path(str(line)) for line in self.args)

    @classmethod
    def of_lines(cls, template: str, **values: object) -> Self:
        """An error whose message is kehu's own text of several lines: ``template`` (translated)
        cut at its line feeds, each line given ``values`` as ``str.format`` gives them. A value
        given as a list is a listing: the line it stands in is written once for each of its
        items (``"  {shown}"``: each indented). A value's own line feed or ESC stays in its
        line, shown escaped as every value's is: ``cls(*text.format(...).split("\\n"))`` cut
        the value too (a problem quoting a plugin's words, a path), its second part a line of
        its own that read as kehu's."""
        lines: list[str] = []
        for line in template.split("\n"):
            listed = [key for key, value in values.items() if isinstance(value, list) and f"{{{key}}}" in line]
            if not listed:
                lines.append(line.format(**values))
                continue
            items: list[object] = values[listed[0]]  # type: ignore[assignment]
            lines += [line.format(**{**values, listed[0]: item}) for item in items]
        return cls(*lines)


class StoreError(KehuError):
    """The store is missing, unreadable or not a kehu store."""


class RecordError(KehuError):
    """A record file is broken; carries the problems found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(*(p.render() for p in problems))


class NotFound(KehuError):
    """No customer (or interaction) with that id."""


class ConflictError(KehuError):
    """Somebody else changed the record since it was read; nothing was written."""


class FutureDate(KehuError):
    """A date after the store's day (``Store.check_not_future``). ``problem`` says so and no
    more; the text adds what the CLI and an import offer (``--allow-future``), a form of the TUI,
    which has no such switch, says its own (``kehu_tui.formatting.refused_date``)."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(_("{problem}; a future date is refused unless --allow-future").format(problem=problem))


class InvalidId(KehuError, ValueError):  # a ValueError, so pydantic reports it with its field
    """An id that could name a path outside its folder, or is otherwise unusable."""


#: what the system says of a failed file operation, in the user's language: the C library's
#: words (``exc.strerror``) are English, as Python never sets the locale of messages
_OS_ERRORS = {
    "ENOENT": N_("No such file or directory"), "EACCES": N_("Permission denied"),
    "EPERM": N_("Operation not permitted"), "ENOSPC": N_("No space left on device"),
    "EROFS": N_("Read-only file system"), "EISDIR": N_("Is a directory"), "ENOTDIR": N_("Not a directory"),
    "EEXIST": N_("File exists"), "ENOTEMPTY": N_("Directory not empty"), "EDQUOT": N_("Disk quota exceeded"),
    "ELOOP": N_("Too many levels of symbolic links"), "ENAMETOOLONG": N_("File name too long"),
    "EIO": N_("Input/output error"), "EMFILE": N_("Too many open files"),
    "EADDRINUSE": N_("Address already in use"), "EADDRNOTAVAIL": N_("Cannot assign requested address"),
    "ECONNREFUSED": N_("Connection refused"),
}


def os_error_text(exc: OSError) -> str:
    """``exc``'s reason (not its path) in the user's language; one the list does not know: the
    system's words."""
    import errno

    name = errno.errorcode.get(exc.errno or 0)
    message = _OS_ERRORS.get(name or "")
    return _(message) if message else str(exc.strerror or exc)


class Meddled(Exception):
    """What a plugin's code did to what kehu keeps for the command (closed the store's index),
    put back as it was when the code returned: the plugin's failure, said as what it did
    (:func:`kehu_core.plugin_code.error_text`). Here, a leaf, as the index raises it and the
    plugin host, which reaches the index, says it."""
