"""Arguments that are not UTF-8 text.

Python hands kehu a byte of an argument that is not UTF-8 (a terminal set to GBK, a script in
Latin-1) as a lone surrogate (U+DC80-U+DCFF). No record, index or terminal can hold one: a note
or a search of such text ended in "internal error: UnicodeEncodeError". It is a usage error,
found before any command runs, except in an argument naming a file that is there, as a file
unpacked from a Windows colleague's zip may be named in GBK bytes, and a path may hold any."""

from __future__ import annotations

import codecs
import io
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..i18n import _


def _undecodable(arg: str) -> bool:
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _names_a_file(arg: str) -> bool:
    try:
        return os.path.lexists(os.fsencode(arg))
    except (ValueError, UnicodeEncodeError):  # a NUL, or a surrogate fsencode cannot map
        return False


def utf8_arguments(argv: list[str]) -> list[str]:
    """``argv`` with each argument that is UTF-8 bytes read as UTF-8. Under a locale whose
    encoding is not UTF-8 (``LC_ALL=C`` with ``PYTHONUTF8=0``: a cron job's, a service's),
    Python reads every byte past ASCII as a lone surrogate, and ``--name 张三`` was refused as
    "not UTF-8 text". An argument naming a file that is there is kept as Python read it (the
    file system takes that form back); bytes that are not UTF-8 are kept too, and refused by
    :func:`not_utf8_problem`."""
    return [_as_utf8(arg) for arg in argv]


def _as_utf8(arg: str) -> str:
    if not _undecodable(arg) or _names_a_file(arg):
        return arg
    try:
        return os.fsencode(arg).decode("utf-8")
    except (UnicodeError, ValueError):  # not UTF-8 bytes (GBK, Latin-1): said as such
        return arg


def not_utf8_problem(argv: list[str]) -> str | None:
    """The message for the first argument of ``argv``, or variable of kehu's environment, that
    is not UTF-8 text (None: none)."""
    for position, arg in enumerate(argv, start=1):
        if _undecodable(arg) and not _names_a_file(arg):
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            return _("argument {position} ({arg}) is not UTF-8 text; kehu reads arguments as UTF-8 "
                     "(set the terminal to UTF-8)").format(position=position, arg=shown)
    for name in _ENVIRONMENT:  # the same door by another name (`KEHU_STORE=… kehu list`)
        value = os.environ.get(name)
        if value is not None and _undecodable(value) and not _names_a_file(value):
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            return _("{name} ({value}) is not UTF-8 text; kehu reads it as UTF-8").format(name=name, value=shown)
    return None


#: the environment variables kehu reads as its options
_ENVIRONMENT = ("KEHU_STORE", "KEHU_TODAY", "KEHU_IDENTITY")


def outputs_any_text() -> None:
    """Print what is not UTF-8 (such a file's name in an import's summary) as ``\\udcff``:
    in a UTF-8 locale Python's stdout refuses it, and the command ended in "internal error"
    after it had written (in JSON, ``\\udcff`` is an escape every reader takes)."""
    _closed_streams_to_null()
    _unread_streams_to_null()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and _refuses_text(stream):
            reconfigure(errors="backslashreplace")


def _refuses_text(stream: Any) -> bool:
    """Whether ``stream`` ends a command in "internal error: UnicodeEncodeError" at the first
    text its encoding cannot hold: strict, or surrogateescape in an encoding other than UTF-8
    (``LC_ALL=C`` with ``PYTHONUTF8=0``: ASCII, where `customer show` of 张三 failed so)."""
    errors = getattr(stream, "errors", None)
    if errors == "strict":
        return True
    try:
        utf8 = codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name == "utf-8"
    except LookupError:
        utf8 = False
    return errors == "surrogateescape" and not utf8


def _closed_streams_to_null() -> None:
    """A standard stream closed by the caller (``kehu customer list >&-``, a service started
    without one): Python leaves ``sys.stdout`` None, and writing a list there ended in
    "internal error: AttributeError", while ``click.echo`` dropped the text. Its descriptor gets
    ``/dev/null``, so output goes nowhere alike for every command, and no file kehu opens (the
    index, an export) takes descriptor 1 or 2, where a write meant for the terminal would land."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(fd)
        except OSError:  # closed: /dev/null in its place (the lowest free descriptor is this one)
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        else:
            # closed by the caller and taken since, before Python made its streams: a file of a
            # preloaded library's (faketime's shared clock, which the list's text then wrote
            # over, every later process of that clock reading garbage): never written to
            setattr(sys, name, open(os.devnull, mode, encoding="utf-8"))  # noqa: SIM115
            continue
        setattr(sys, name, open(fd, mode, encoding="utf-8", errors="backslashreplace", closefd=False))  # noqa: SIM115


class _ReaderMayGo(io.FileIO):
    """Standard output or error whose reader may stop reading (``kehu customer list | head -1``,
    a pager quit early): the first write after it did (EPIPE) puts /dev/null in the
    descriptor's place, and what follows goes there, as into a closed stream's.

    A write that fails otherwise (``kehu customer list > list.txt`` on a full disk, ``>
    /dev/full``, an I/O error) does the same, and the failure is kept for the command's end
    (:func:`output_failure`): before, the text Python had buffered failed again as the process
    ended, "Exception ignored in: <_io.TextIOWrapper name=1 …>" and a traceback, exit 120, or
    "kehu: No space left on device" in the middle of a command, naming no file."""

    failed: dict[int, OSError] = {}

    def write(self, data: Any) -> int:
        try:
            return super().write(data)
        except OSError as exc:
            if not isinstance(exc, BrokenPipeError):
                _ReaderMayGo.failed.setdefault(self.fileno(), exc)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.fileno())
            os.close(null)
            return memoryview(data).nbytes


def output_failure() -> OSError | None:
    """The error that a write to standard output met (a full disk, ``/dev/full``), once what
    was buffered is written; None: none (a reader that stopped reading is none)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # a stream of a test's, closed
            continue
    return _ReaderMayGo.failed.get(1)


def _unread_streams_to_null() -> None:
    """A stdout or stderr nobody reads any more is /dev/null, as a closed one is: the reader
    gone, the first write that no longer fitted in the pipe raised EPIPE, which click (and
    Rich, for a table) turned into exit 1 with nothing said, the command stopped where it was
    (a check's problems not counted, a write's later steps not done), and whether a command
    exited 0 or 1 hung on how fast the reader was. Now it finishes and exits with its own code."""
    for fd, name in ((1, "stdout"), (2, "stderr")):
        stream = getattr(sys, name)
        if isinstance(getattr(getattr(stream, "buffer", None), "raw", None), _ReaderMayGo):
            continue  # a second run in this process
        try:
            if stream.fileno() != fd:
                continue
        except (AttributeError, OSError, ValueError):  # a test's captured stream: no descriptor
            continue
        stream.flush()
        setattr(sys, name, io.TextIOWrapper(
            io.BufferedWriter(_ReaderMayGo(fd, "w", closefd=False)), encoding=stream.encoding,
            errors=stream.errors, line_buffering=stream.line_buffering,
            write_through=getattr(stream, "write_through", False)))


def _typed(value: Any) -> str | None:
    """``value`` as it would have been typed, or None (nothing an argument gives)."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return ",".join(value)  # `tags=a,b`, `--set interests=a,b`
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def argument_of(value: Any, argv: Sequence[str]) -> str | None:
    """The argument of ``argv`` that gave ``value``, a value a record's model refused: its
    option (``--text``), or ``FIELD=`` for a ``FIELD=VALUE`` of `customer set` and ``--set``.
    None when no argument gave it: the value is then the record's own (a file edited by hand)
    and its ``path:line`` is where to look. A refused argument was named as if the file were
    wrong (``…/complaints/x.yaml:7: history.0.text: …``), a file that did not even exist."""
    typed = _typed(value)
    if typed is None:
        return None
    for number, arg in enumerate(argv):
        previous = argv[number - 1] if number else ""
        option, eq, given = arg.partition("=")
        if arg.startswith("--") and eq:  # --text=VALUE
            if given.strip() == typed:
                return option
            continue
        if previous.startswith("-") and previous != "--" and "=" not in previous and arg.strip() == typed:
            return previous  # --text VALUE
        field_name = option.rstrip("+-")
        if eq and field_name.isidentifier() and not arg.startswith("-") and (
                given.strip() == typed or typed in (part.strip() for part in given.split(","))):
            return field_name + "="  # FIELD=VALUE, FIELD+=VALUE (a list's item)
    return None
