"""Reading and writing YAML the way kehu needs it.

Two loaders, one result:

* :func:`load_fast` uses PyYAML's C parser (about 20x faster than ruamel's round-trip
  loader) for scans: the index, ``kehu check``, reports. It is tuned to YAML 1.2 so it yields
  the same data as ruamel (``yes`` stays a string, duplicate keys are an error).
* :func:`load_roundtrip` / :func:`dump_roundtrip` use ruamel.yaml so that comments, key order,
  quoting and fields kehu does not know survive an edit. Only the file being edited pays for it,
  and files with errors are re-read with it to find the line of a bad field.

Every write goes through :func:`atomic_write`: temp file, fsync, rename, so a crash leaves either
the old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import io
import os
import re
import stat
import tempfile
import threading
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # ruamel is imported by the first round-trip: a scan, a new file, a ledger line need none
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import RoundTripRepresenter

from .errors import Problem
from .i18n import _
from .yamlaliases import may_alias, refuse_alias_bombs

MAX_FILE_BYTES = 2 * 1024 * 1024  # a customer file over 2 MiB is a mistake, not a customer
# A ledger grows by a line (~90 bytes) with every purchase, redemption and tier move, for as
# long as the customer buys: a regular of twenty years passes 2 MiB (45 000 entries). 8 MiB is
# about 90 000 entries, read in seconds; a file past it is still refused unread.
MAX_LEDGER_BYTES = 8 * 1024 * 1024
LEDGER_SUFFIX = ".ledger.yaml"


def max_bytes(path: Path | str) -> int:
    """The most a file of this kind may hold: the one home of the size limits of records."""
    return MAX_LEDGER_BYTES if str(path).endswith(LEDGER_SUFFIX) else MAX_FILE_BYTES


# --- fast, safe loading -------------------------------------------------------------------

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FastLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """PyYAML's C safe loader with YAML 1.2 scalars, duplicate keys and alias bombs refused."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._may_alias = may_alias(stream)

    def construct_document(self, node: yaml.Node) -> Any:
        if self._may_alias:
            refuse_alias_bombs(node, yaml.constructor.ConstructorError)
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base`: merged below, as ruamel does
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                ) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark,
                    f"duplicate key {key!r}", key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# YAML 1.1 reads yes/no/on/off as booleans and 1:30 as a number; YAML 1.2 (ruamel) does not.
FastLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
FastLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
FastLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
FastLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def _construct_int(loader: FastLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 0) if text.startswith("0x") else int(text)


FastLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _construct_timestamp(loader: FastLoader, node: yaml.ScalarNode) -> Any:
    """A date that does not exist (1990-13-40) stays text, so validation names its field."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return str(node.value)


FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


class ScanLoader(FastLoader):  # type: ignore[misc, valid-type]
    """:class:`FastLoader` reading as the scan's yaml-rs does (``parse_datetime=False``): a plain
    date stays ISO text, an explicit ``!!timestamp`` tag is still a date (and refused where text
    belongs). For the files yaml-rs reads differently, so every scanned record looks alike."""


ScanLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in FastLoader.yaml_implicit_resolvers.items()
}


def problem_from_yaml_error(path: Path, exc: Exception) -> Problem:
    """Turn a PyYAML or ruamel error into ``path:line: message``."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    text = f"{context}: {problem}" if context and context not in str(problem) else str(problem)
    return Problem(path, line, _("invalid YAML: {detail}").format(detail=text))


_READ_FLAGS = (os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))


def link_message(path: Path | str) -> str:
    """What kehu says of a symbolic link where a record or a record folder belongs."""
    try:
        target = _(" (to {target})").format(target=os.readlink(path))  # the space is the language's
    except OSError:
        target = ""
    return _("is a symbolic link{target}: kehu never follows links in a store; put the real file or folder "
             "here, or remove the link").format(target=target)


def special_kind(mode: int) -> str:
    """What a file that is no regular file is: a folder, a FIFO, a socket, a device."""
    return (_("a folder") if stat.S_ISDIR(mode) else _("a FIFO (named pipe)") if stat.S_ISFIFO(mode)
            else _("a socket") if stat.S_ISSOCK(mode) else _("a device") if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else _("not a regular file"))


def special_file_message(mode: int) -> str:
    """What kehu says of something that is not a regular file where a record belongs."""
    return _("is {what}, not a record file; kehu reads only regular files here").format(what=special_kind(mode))


class YamlFileError(Exception):
    """A record file kehu cannot use, with its ``path:line`` problem."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.render())


_FileProblem = YamlFileError  # what the readers below raise (the loaders' error, one type)


def read_bytes(path: Path | str) -> bytes:
    """The bytes of a record file, refusing what is no record file: a symbolic link, a FIFO,
    a folder, a device, a file over its :func:`max_bytes`, an unreadable file (each a
    :class:`YamlFileError` with its problem). Every read of a record goes through here."""
    # scans read a million of these: a bare descriptor costs half of a buffered file object.
    # O_NOFOLLOW: a record that is a link (to /etc/passwd, to another clone's file) is refused,
    # never read; O_NONBLOCK: a FIFO put where a record belongs opens at once (and is refused
    # below) instead of hanging the command until someone writes to it.
    try:
        fd = os.open(path, _READ_FLAGS)
    except PermissionError:
        raise _FileProblem(Problem(Path(path), 1, "cannot read: permission denied (check the "
                                                  "file's owner and mode)")) from None
    except OSError:
        if os.path.islink(path):
            raise _FileProblem(Problem(Path(path), 1, link_message(path))) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _FileProblem(Problem(Path(path), 1, special_file_message(info.st_mode)))
        size, limit = info.st_size, max_bytes(path)
        if size > limit:
            raise _FileProblem(Problem(Path(path), 1, f"file is {size} bytes; records are at most {limit}"))
        data = os.read(fd, size + 1)
        while len(data) > size:  # it grew since the fstat (being written): read to the end
            more = os.read(fd, 65536)
            if not more:
                break
            data += more
            if len(data) > limit:
                raise _FileProblem(Problem(Path(path), 1, f"file is over {limit} bytes"))
    finally:
        os.close(fd)
    return data


def read_text(path: Path | str) -> str:
    """The file as UTF-8 text, refusing what is clearly not a record (:func:`read_bytes`;
    binary, not UTF-8). A byte order mark (Windows Notepad's) is kept: the loaders skip it
    (:func:`_parsed_text`) and an edit writes it back (:func:`dump_roundtrip`)."""
    data = read_bytes(path)
    if b"\x00" in data:
        raise _FileProblem(Problem(Path(path), 1, "binary file (contains NUL bytes); expected YAML text"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _FileProblem(Problem(Path(path), line, f"not valid UTF-8 (byte {exc.start})")) from None


_BOM = "\ufeff"


def _parsed_text(text: str, path: Path | str) -> str:
    """The text a YAML parser gets: without a UTF-8 byte order mark (which yaml-rs and PyYAML
    read as part of the first key: "id: Field required"). A ``%YAML`` directive naming another
    version than 1.2 is refused at its line: ``%YAML 1.1`` made ruamel, the editor's loader, read
    ``name: no`` as false, while the scan read it as text, so ``check`` said ok and ``customer
    set`` refused the file ("name: Input should be a valid string")."""
    text = text[1:] if text.startswith(_BOM) else text
    if text.startswith("%") or "\n%" in text:
        for number, line in enumerate(text.split("\n"), 1):
            if line.startswith("---") or line.startswith("..."):
                break  # directives come before the document only
            match = _VERSION_DIRECTIVE.match(line)
            if match and match.group(1) != "1.2":
                raise _FileProblem(Problem(Path(path), number, _(
                    "a %YAML {version} directive: kehu reads records as YAML 1.2 (where `no` and `on` are "
                    "text, not false and true); remove the line").format(version=match.group(1))))
    return text


_VERSION_DIRECTIVE = re.compile(r"%YAML[ \t]+(\S+)")
#: what comes before a document's content: directives, then a "---" line of its own
_HEADER = re.compile(r"\A(?:%[^\n]*\n|#[^\n]*\n|[ \t]*\n)*---[ \t]*(?:#[^\n]*)?\n")


def load_fast(path: Path, *, loader: type[FastLoader] | None = None) -> Any:
    """Parse a YAML file quickly and safely; raise :class:`YamlFileError` with path and line."""
    try:
        text = _parsed_text(read_text(path), path)
        return yaml.load(text, Loader=loader or FastLoader)  # noqa: S506 - a safe loader
    except _FileProblem as exc:
        raise YamlFileError(exc.problem) from None
    except yaml.reader.ReaderError as exc:  # a control character: it knows the offset only
        line = text[: exc.position].count("\n") + 1
        message = _("invalid YAML: character U+{code:04X} is a control character, not text")
        raise YamlFileError(Problem(path, line, message.format(code=exc.character))) from None
    except yaml.YAMLError as exc:
        raise YamlFileError(problem_from_yaml_error(path, exc)) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise YamlFileError(Problem(path, 1, _("invalid YAML: {detail}").format(detail=exc))) from None


try:  # a Rust YAML 1.2 parser, ~10x faster than PyYAML's C loader for whole-store scans
    import yaml_rs
except ImportError:  # pragma: no cover - platforms without a yaml-rs wheel
    yaml_rs = None

_RS_LINE = re.compile(r"line (\d+)")
# yaml-rs ignores tags (`!!python/object`, `!!binary`), reads `a\n---\nb` as a list of
# documents and accepts control characters, where PyYAML and ruamel refuse them: such rare
# files are parsed by PyYAML, so every loader agrees on what is a valid record.
_RS_TAG = re.compile(r"(?:^|[\s\[\{,])!", re.M)
_RS_DOCUMENTS = re.compile(r"^(?:---|\.\.\.)", re.M)
_RS_CONTROL = yaml.reader.Reader.NON_PRINTABLE
# yaml-rs also reads as numbers plain words YAML 1.2's core schema (and PyYAML) keep as text:
# digits with underscores (`_0`, `1_000`), `0X`/`0O`/`0B`/`0b` prefixes, a signed `+0x1`
# (hypothesis found `_: _0` and `id: 0X0`). A false alarm only costs the slower loader.
_RS_NUMBER = re.compile(
    r"(?:^|(?<=[\s\[{,]))"
    r"(?:[-+]?(?:[0-9._eE+-]*_[0-9._eE+-]*|0[XOBb][0-9A-Fa-f_]*)|[-+]0[xo][0-9A-Fa-f_]*|0[xo][0-9A-Fa-f]*_[0-9A-Fa-f_]*)"
    r"(?=\s*(?:$|[,\]}#:]))", re.M)
_RS_NUMBER_HINTS = ("_", "0X", "0O", "0B", "0b", "+0", "-0")


def _rs_differs(text: str) -> bool:
    """Whether yaml-rs could read ``text`` differently from PyYAML (tags, several documents,
    control characters, numbers beyond YAML 1.2's core schema). Plain substring tests first:
    one regex over every file cost 6 µs."""
    return (("!" in text and _RS_TAG.search(text) is not None)
            or (("---" in text or "..." in text) and _RS_DOCUMENTS.search(text) is not None)
            or _RS_CONTROL.search(text) is not None
            or may_alias(text)  # anchors: PyYAML's loader, whose alias limit is kehu's own
            or (any(h in text for h in _RS_NUMBER_HINTS) and _RS_NUMBER.search(text) is not None))


def _refuse_tabs_the_editor_refuses(path: Path, text: str) -> None:
    """A tab after ``key:`` or in a plain value: yaml-rs and libyaml read some such files, the
    round-trip editor (ruamel) refuses them, so ``kehu check`` said ok while ``customer set``
    failed. Rare (a file with a tab), so such files are tried with the editor's parser here and
    every door refuses them alike, naming the tab."""
    from ruamel.yaml.error import MarkedYAMLError

    try:
        _rt().load(text)
    except (MarkedYAMLError, yaml.YAMLError) as exc:
        problem = problem_from_yaml_error(path, exc)
        if "\\t" in problem.message or "\t" in problem.message:
            raise YamlFileError(Problem(path, problem.line, "a tab character where YAML needs "
                                        "spaces (after 'key:' or in a plain value): replace tabs "
                                        "with spaces, or quote the value")) from None
    except Exception:  # anything else is the other loaders' to report as they do
        return


def load_scan(path: Path) -> Any:
    """Parse a record for a scan (index, check), as fast as possible.

    Dates stay ISO strings here: the models turn them into dates, so the validated records are
    the same as with :func:`load_fast` or ruamel (a test checks this on the demo store).
    """
    if yaml_rs is None:
        return load_fast(path)
    try:
        text = _parsed_text(read_text(path), path)
        if "\t" in text:
            _refuse_tabs_the_editor_refuses(path, text)
        if _rs_differs(text):
            return load_fast(path, loader=ScanLoader)  # as yaml-rs reads: plain dates stay text
        return yaml_rs.loads(text, parse_datetime=False)
    except _FileProblem as exc:
        raise YamlFileError(exc.problem) from None
    except yaml_rs.YAMLDecodeError as exc:
        message = str(exc)
        match = _RS_LINE.search(message)
        if match is None:
            load_fast(path)  # PyYAML names the line yaml-rs does not (a duplicate key); raises
        detail = message.splitlines()[-1].strip() if "\n" in message else message
        raise YamlFileError(Problem(path, int(match.group(1)) if match else 1,
                                    _("invalid YAML: {detail}").format(detail=detail))) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise YamlFileError(Problem(path, 1, _("invalid YAML: {detail}").format(detail=exc))) from None


def lines_doc(path: Path) -> Any:
    """The round-trip document, only to look up line numbers; None if even that fails.

    A document ruamel cannot load (nested deeper than its recursion allows: a hostile file)
    is composed by libyaml instead, whose nodes know their lines too (:func:`line_of` reads
    both), so its problem is still reported at the line of its key."""
    try:
        return load_roundtrip(path)
    except YamlFileError:
        try:
            return yaml.compose(_parsed_text(read_text(path), path), Loader=_BaseLoader)
        except (_FileProblem, yaml.YAMLError, ValueError, RecursionError):
            return None


# --- round-trip loading and writing -------------------------------------------------------


def _represent_decimal(representer: RoundTripRepresenter, value: Decimal) -> Any:
    if value.as_tuple().exponent >= 0:  # quantities: 2, not 2.0
        return representer.represent_scalar("tag:yaml.org,2002:int", format(value, "f"))
    text = format(value, "f")
    if "." not in text:
        text += ".0"
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


def _represent_date(representer: RoundTripRepresenter, value: dt.date) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


@functools.cache
def _round_trip_constructor() -> type:
    """ruamel's round-trip constructor with alias bombs refused, as :class:`FastLoader`."""
    from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor

    class _RoundTripConstructor(RoundTripConstructor):  # type: ignore[misc]
        def construct_document(self, node: Any) -> Any:
            refuse_alias_bombs(node, ConstructorError)
            return super().construct_document(node)

    return _RoundTripConstructor


def roundtrip_yaml(*, indented_lists: bool = False) -> YAML:
    """The ruamel configuration kehu writes with, so re-saving never reformats a file.

    kehu writes block sequences unindented under their key (PyYAML's style), so that new files
    can come from the C emitter (:func:`dump_new`) in exactly the form ruamel re-saves them.
    A file someone wrote with indented lists (``  - VIP``) is re-saved in that style instead.
    """
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.Constructor = _round_trip_constructor()
    if indented_lists:
        rt.indent(mapping=2, sequence=4, offset=2)
    else:
        rt.indent(mapping=2, sequence=2, offset=0)
    rt.width = 4096  # never fold long notes onto new lines: that would churn diffs
    rt.preserve_quotes = True
    rt.allow_duplicate_keys = False
    rt.representer.add_representer(Decimal, _represent_decimal)
    rt.representer.add_representer(dt.date, _represent_date)
    rt.representer.add_representer(str, _represent_str)
    rt.constructor.add_constructor("tag:yaml.org,2002:timestamp", _rt_timestamp)
    rt.constructor.add_constructor("tag:yaml.org,2002:str", _rt_str)
    return rt


# NEL, LINE and PARAGRAPH SEPARATOR (pasted from web pages and chat apps) are line breaks to
# YAML 1.1 but not to 1.2: written unescaped, each loader read them back differently. Escaped
# in double quotes ("\N", "\L", "\P") every loader reads the same text.
_YAML_BREAKS = re.compile("[\x85\u2028\u2029]")


def _represent_str(representer: RoundTripRepresenter, value: str) -> Any:
    from ruamel.yaml.representer import RoundTripRepresenter

    if _YAML_BREAKS.search(value):
        return representer.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return RoundTripRepresenter.represent_str(representer, value)


def _rt_str(constructor: Any, node: Any) -> Any:
    """Text, also when tagged by hand (``name: !!str 123``), as the scan reads it: ruamel kept
    a ``TaggedScalar``, which no field takes, so ``check`` said ok and ``customer set`` refused
    the file ("name: Input should be a valid string")."""
    return constructor.construct_scalar(node)


def _rt_timestamp(constructor: Any, node: Any) -> Any:
    from ruamel.yaml.constructor import RoundTripConstructor

    try:
        return RoundTripConstructor.construct_yaml_timestamp(constructor, node)
    except ValueError:
        return str(node.value)


@functools.cache
def _rt(indented_lists: bool = False) -> YAML:
    """The round-trip configuration, made once, on first use."""
    return roundtrip_yaml(indented_lists=indented_lists)


# "key:" (maybe a comment), then the first item of its block list on the next line
_FIRST_LIST = re.compile(r"^( *)[^\s#-][^\n]*:[ \t]*(?:#[^\n]*)?\n( *)- ", re.M)


def has_indented_lists(text: str) -> bool:
    """Whether a file indents its block lists under their keys (``tags:\n  - VIP``)."""
    match = _FIRST_LIST.search(text)
    return bool(match) and len(match.group(2)) > len(match.group(1))


def load_roundtrip(path: Path) -> Any:
    from ruamel.yaml.error import MarkedYAMLError

    try:
        text = _parsed_text(read_text(path), path)
        return _rt().load(text)
    except _FileProblem as exc:
        raise YamlFileError(exc.problem) from None
    except (MarkedYAMLError, yaml.YAMLError) as exc:
        raise YamlFileError(problem_from_yaml_error(path, exc)) from None
    except Exception as exc:  # ruamel raises plain errors for a few broken inputs
        raise YamlFileError(Problem(path, 1, _("invalid YAML: {detail}").format(detail=exc))) from None


def dump_roundtrip(data: Any, *, like: str | None = None) -> str:
    """Text of ``data``; with ``like`` (the file's old text) in that file's list style and with
    its line ends (CRLF from Windows editors: an edit changes one line, not every line)."""
    stream = io.StringIO()
    _rt(like is not None and has_indented_lists(like)).dump(data, stream)
    text = stream.getvalue()
    if like is not None:
        # a "%YAML 1.2" directive and the "---" after it, which ruamel drops: kept, so an edit
        # changes the lines it edits only
        header = _HEADER.match(like.removeprefix(_BOM).replace("\r\n", "\n").replace("\r", "\n"))
        if header and not text.startswith(("%", "---")):
            text = header.group(0) + text
    if like is not None and like.startswith(_BOM):
        text = _BOM + text
    end = line_end(like) if like is not None else "\n"
    if end != "\n":
        text = text.replace("\r\n", "\n").replace("\n", end)
    return text


def line_end(text: str) -> str:
    """The line end a file's text keeps, for an edit or an added line to write: CRLF when
    every line has it (Windows editors), CR alone (classic Mac OS), else LF (a file of mixed
    ends is written with LF, as most of its lines are, say, git's)."""
    if "\r\n" in text and text.count("\r\n") == text.count("\n"):
        return "\r\n"
    if "\r" in text and "\n" not in text:
        return "\r"
    return "\n"


class _NewFileDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """PyYAML's C emitter, set up to write what :func:`roundtrip_yaml` writes, 10x faster."""


def _fast_decimal(dumper: Any, value: Decimal) -> Any:
    text = format(value, "f")
    if value.as_tuple().exponent >= 0:
        return dumper.represent_scalar("tag:yaml.org,2002:int", text)
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


def _fast_str(dumper: Any, value: str) -> Any:
    if _YAML_BREAKS.search(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return yaml.representer.SafeRepresenter.represent_str(dumper, value)


_NewFileDumper.add_representer(Decimal, _fast_decimal)
_NewFileDumper.add_representer(str, _fast_str)
# ruamel's CommentedMap and CommentedSeq (an edited record) are a dict and a list to it
_NewFileDumper.add_multi_representer(dict, yaml.representer.SafeRepresenter.represent_dict)
_NewFileDumper.add_multi_representer(list, yaml.representer.SafeRepresenter.represent_list)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class _Resolver12(yaml.resolver.BaseResolver):
    """FastLoader's YAML 1.2 view of plain scalars, to compare with PyYAML's 1.1 view."""


_Resolver12.yaml_implicit_resolvers = FastLoader.yaml_implicit_resolvers
_R11, _R12 = yaml.resolver.Resolver(), _Resolver12()


def _needs_ruamel(value: Any) -> bool:
    """Values the C emitter writes differently from ruamel: empty values, characters beyond
    the BMP (emoji), which libyaml escapes, and words that are data only in YAML 1.1 (``no``,
    ``on``), which PyYAML quotes and ruamel does not."""
    if value is None:
        return True
    if isinstance(value, str):
        return _str_needs_ruamel(str(value))
    if isinstance(value, dict):
        return any(_needs_ruamel(k) or _needs_ruamel(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_needs_ruamel(v) for v in value)
    return False


@functools.lru_cache(maxsize=16384)  # keys, tags, levels, owners repeat in every record written
def _str_needs_ruamel(value: str) -> bool:
    # an apostrophe in text that needs quoting: PyYAML single-quotes it, ruamel double-quotes
    if _ASTRAL.search(value) is not None or "'" in value:
        return True
    node = yaml.nodes.ScalarNode
    return _R11.resolve(node, value, (True, False)) != _R12.resolve(node, value, (True, False))


def dump_new(data: Any) -> str:
    """Text of a new record (no comments to keep yet): same bytes as :func:`dump_roundtrip`.

    The two emitters write empty values differently, so data with ``None`` goes to ruamel
    (kehu's own records leave empty fields out)."""
    if _needs_ruamel(data):
        return dump_roundtrip(to_plain_yaml_value(data))
    return yaml.dump(  # noqa: S506 - a safe dumper
        data, Dumper=_NewFileDumper, allow_unicode=True, sort_keys=False,
        default_flow_style=False, width=4096,
    )


def dump_flow_line(data: dict[str, Any]) -> str:
    """One mapping on one line, ``{date: 2026-11-01, delta: 128}``: a ledger entry.

    Always one line: git merges ledgers line by line (``merge=union``), so an entry spread
    over two lines would be cut in half by a merge. Text with a line break in it is written
    double-quoted, the break escaped (``note: "第一行\\n第二行"``)."""
    if _needs_ruamel(data):
        value = to_plain_yaml_value(data)
        value.fa.set_flow_style()
        line = dump_roundtrip(value).strip()
    else:
        line = yaml.dump(  # noqa: S506 - a safe dumper
            data, Dumper=_NewFileDumper, allow_unicode=True, sort_keys=False,
            default_flow_style=True, width=1_000_000,
        ).strip()
    if "\n" in line or "\r" in line:
        line = yaml.dump(  # noqa: S506 - a safe dumper
            data, Dumper=_OneLineDumper, allow_unicode=True, sort_keys=False,
            default_flow_style=True, width=1_000_000,
        ).strip()
    return line


class _OneLineDumper(_NewFileDumper):
    """The flow-line writer for entries whose text holds line breaks: every such string is
    double-quoted, where YAML escapes the breaks, so the entry stays on one line."""


def _one_line_str(dumper: Any, value: str) -> Any:
    if _LINE_BREAKS.search(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')
    return _fast_str(dumper, str(value))


_LINE_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")
_OneLineDumper.add_representer(str, _one_line_str)
_OneLineDumper.add_multi_representer(str, _one_line_str)  # ruamel's string types too
_OneLineDumper.add_representer(type(None), yaml.representer.SafeRepresenter.represent_none)


def line_of(doc: Any, loc: Sequence[str | int]) -> int:
    """1-based line of the value at ``loc`` (a pydantic error location) in a round-trip doc."""
    line = 1
    node = doc
    if doc is None:
        return line
    for key in loc:
        if isinstance(node, yaml.Node):  # composed by libyaml (lines_doc)
            child = _node_child(node, key)
            if child is None:
                break
            line, node = child
            continue
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        # a key or item added to the document in memory and not yet written has no line: the
        # line of what holds it is the best there is (a complaint step refused for its text
        # made `kehu complaint ack` an "internal error: KeyError")
        try:
            if isinstance(node, CommentedMap) and key in node:
                line = node.lc.key(key)[0] + 1
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
                line = node.lc.item(key)[0] + 1
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
        node = node[key]
    return line


def _node_child(node: yaml.Node, key: str | int) -> tuple[int, yaml.Node] | None:
    """The line of ``key`` in a composed mapping or sequence node, and its value's node."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == str(key):
                return key_node.start_mark.line + 1, value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        item = node.value[key]
        return item.start_mark.line + 1, item
    return None


def to_plain_yaml_value(value: Any) -> Any:
    """A value ready for ruamel: lists become block sequences, dicts keep their order."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = to_plain_yaml_value(v)
        return out
    if isinstance(value, (list, tuple)):
        seq = CommentedSeq(to_plain_yaml_value(v) for v in value)
        return seq
    return value


# --- atomic writes ------------------------------------------------------------------------


_DEFERRED_SYNC: contextvars.ContextVar[bool] = contextvars.ContextVar("kehu_deferred_sync", default=False)


@contextlib.contextmanager
def deferred_sync() -> Iterator[None]:
    """Many writes, one flush to disk at the end (``kehu import`` of thousands of rows).

    Inside, :func:`atomic_write` still writes a temp file and renames it, so a crashed process
    leaves each file old or new, never half; it only skips the two fsyncs per file (4 ms each
    on a busy disk), and one ``os.sync()`` on leaving makes the whole batch durable. What a
    power cut in the middle of the batch can lose is files of that batch.
    """
    if _DEFERRED_SYNC.get():
        yield
        return
    token = _DEFERRED_SYNC.set(True)
    try:
        yield
    finally:
        _DEFERRED_SYNC.reset(token)
        os.sync()


@functools.cache
def process_umask() -> int:
    """The process's umask, read once. Linux shows it in /proc/self/status; elsewhere it can
    only be read by setting it, which is done once, under a lock (another thread creating a
    file in that instant would get the temporary mask)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def new_file_mode() -> int:
    """The mode of a new file as git (and every editor) makes it: ``0666`` less the umask, so
    a shared repository (``umask 002``) gets group-writable records, not tempfile's ``0600``."""
    return 0o666 & ~process_umask()


def naming(exc: OSError, path: Path) -> OSError:
    """``exc`` about ``path`` (what the user knows) rather than a temporary file beside it."""
    return type(exc)(exc.errno, exc.strerror, str(path))


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new file, never half.

    A new file gets :func:`new_file_mode`; a replaced one keeps the mode it had."""
    if not path.parent.is_dir():  # one stat; mkdir of an existing folder costs an exception
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = new_file_mode()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # a read-only store: name the record, not a temporary name
        raise naming(exc, path) from None
    durable = not _DEFERRED_SYNC.get()
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # a full disk: name the record, not its temporary file
            raise naming(exc, path) from None
        raise
    if durable:
        _fsync_dir(path.parent)


def write_staged(folder: Path, name: str, text: str) -> Path:
    """``text`` as a new file ``name`` in ``folder`` (a staging folder of the store's, on its
    file system), made as :func:`atomic_write` makes a new file: its mode from the umask, the
    text as it is. For :func:`place_staged` to put it where it belongs later."""
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # less the umask: new_file_mode
    try:
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(fd, data):]
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)
    return path


def place_staged(path: Path, staged: Path) -> None:
    """Put a file :func:`write_staged` wrote at ``path`` (a new record; its folder made if
    needed): a rename, so readers see no file or the whole one, never half (as
    :func:`atomic_write`, whose temp file is the staged one). OSError if it cannot be renamed
    there (another file system: EXDEV): the caller writes the text instead."""
    try:
        os.rename(staged, path)
    except FileNotFoundError:
        if not staged.exists():
            raise
        path.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staged, path)
    if not _DEFERRED_SYNC.get():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
