"""Reading a record file: its size limits, what is no record file (a link, a FIFO, a folder),
its bytes and text, the text a YAML parser gets (no byte order mark, YAML 1.2 only), and the
``path:line`` problem of a parser's error."""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path

from ..byte_marks import wide_name
from ..errors import Problem
from ..i18n import _
from ..smallfiles import read_given_file as read_given_file  # the names yamlio has always given
from ..smallfiles import special_kind as special_kind

MAX_FILE_BYTES = 2 * 1024 * 1024  # a customer file over 2 MiB is a mistake, not a customer
# A ledger grows by a line (~90 bytes) with every purchase, redemption and tier move, for as
# long as the customer buys: a regular of twenty years passes 2 MiB (45 000 entries). 8 MiB is
# about 90 000 entries, read in seconds; a file past it is still refused unread.
MAX_LEDGER_BYTES = 8 * 1024 * 1024
#: the most lines a ledger may hold: what 8 MiB of entries as kehu writes them (80 bytes and more)
#: make, and more. Each line is an entry read and checked; a colleague's 5 MB of a million `- {}`
#: lines, within the bytes, took `kehu check` 54 s (a problem a line), `kehu points` 51 s and
#: `customer show` 2 minutes and 1.8 GB
MAX_LEDGER_LINES = 150_000
LEDGER_SUFFIX = ".ledger.yaml"


def max_bytes(path: Path | str) -> int:
    """The most a file of this kind may hold: the one home of the size limits of records."""
    return MAX_LEDGER_BYTES if str(path).endswith(LEDGER_SUFFIX) else MAX_FILE_BYTES


def too_many_lines(path: Path | str, data: bytes) -> Problem | None:
    """The problem of a ledger of more lines than :data:`MAX_LEDGER_LINES` (at the first line
    past it), counted in its bytes before any is parsed; None for any other file, or one within."""
    if not str(path).endswith(LEDGER_SUFFIX) or len(data) <= MAX_LEDGER_LINES * 2:
        return None  # fewer bytes than two for each line allowed: never too many
    lines = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    lines += not data.endswith((b"\n", b"\r"))  # a last line without its line end
    if lines <= MAX_LEDGER_LINES:
        return None
    return Problem(Path(path), MAX_LEDGER_LINES + 1, _(
        "a ledger holds at most {most} lines, one entry a line, and this one has {count}: written by a "
        "script, not kehu; keep its real entries (`git log` of the file shows who wrote the rest)").format(
        most=f"{MAX_LEDGER_LINES:,}".replace(",", " "), count=f"{lines:,}".replace(",", " ")))


def markers_message() -> str:
    """What kehu says of a file holding git's conflict markers: the one wording of every door."""
    return _("unresolved git merge conflict (<<<<<<< ... >>>>>>>): keep the right lines, "
             "delete the markers, `git add` it")


def marker_line(path: Path | str) -> int | None:
    """The first line of an unresolved git conflict in a file, if any."""
    try:
        data = read_bytes(path)  # never a FIFO (it would hang) nor a link's target
    except (OSError, YamlFileError):
        return None
    for number, raw in enumerate(data.splitlines(), 1):
        if opens_conflict(raw):
            return number
    return None


def opens_conflict(line: bytes | str) -> bool:
    """Whether a line is the first of git's conflict markers (``<<<<<<< HEAD``)."""
    raw = line.encode("utf-8", "surrogateescape") if isinstance(line, str) else line
    return raw.startswith(b"<<<<<<< ") or raw.rstrip(b"\r\n") == b"<<<<<<<"


def parse_problem(path: Path | str, line: int, detail: str) -> Problem:
    """A file no YAML parser reads: at git's conflict markers when a merge left them (a hand
    `git pull` in a clone without kehu's merge rules), so every loader names them, not some
    parser's detail at a line of its own; else "invalid YAML" at the parser's line."""
    marked = marker_line(path)
    if marked is not None:
        return Problem(Path(path), marked, markers_message())
    return invalid_yaml(path, line, detail)


def invalid_yaml(path: Path | str, line: int, detail: str) -> Problem:
    """The "invalid YAML" problem at a line, with its parser's detail."""
    return Problem(Path(path), line, _("invalid YAML: {detail}").format(detail=detail))


def problem_from_yaml_error(path: Path, exc: Exception) -> Problem:
    """Turn a PyYAML or ruamel error into ``path:line: message``."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    return parse_problem(path, line, yaml_error_detail(exc))


def yaml_error_detail(exc: Exception) -> str:
    """What a PyYAML or ruamel error says went wrong, without its marks (the caller names the line)."""
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    context = getattr(exc, "context", None)
    return f"{context}: {problem}" if context and context not in str(problem) else str(problem)


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


def special_file_message(mode: int) -> str:
    """What kehu says of something that is not a regular file where a record belongs."""
    return _("is {what}, not a record file; kehu reads only regular files here").format(what=special_kind(mode))


class YamlFileError(Exception):
    """A record file kehu cannot use, with its ``path:line`` problem."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.render())


def not_text_name_message() -> str:
    """What is wrong with a file or folder whose name is not UTF-8 text (bytes git keeps as a
    colleague's commit holds them): every reader and ``kehu check`` say this, never read it."""
    return _("the name is not UTF-8 text (bytes shown as \\xNN): kehu does not read it; rename it")


def _text_path(path: Path | str) -> bool:
    """Whether ``path``'s bytes are UTF-8 text, under any locale: under ``LC_ALL=C`` with
    ``PYTHONUTF8=0`` Python names a store in 客户档案/ by its bytes each read alone (lone
    surrogates, as it names bytes that are not UTF-8), and every record of it was refused."""
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeError:  # os.fsdecode's stand-ins for bytes that are not UTF-8
        return False
    return True


def permission_denied_message() -> str:
    return _("cannot read: permission denied (check the file's owner and mode)")


def unlisted_folder_message(exc: OSError) -> str:
    """What is wrong with a folder of records that cannot be listed (``exc``: why not)."""
    from ..errors import os_error_text

    return _("cannot list this folder: {why}; its records are not read").format(why=os_error_text(exc))


def cannot_read(path: Path | str) -> str | None:
    """Why the user cannot read ``path``, a file or a folder of the store that is no record (a
    template, kehu's ``.gitignore``, a folder of the shop's own), or None: opened, never read
    (``O_NONBLOCK``, ``O_NOFOLLOW``: a FIFO or a link is said as such by the walks that find
    them). Unreadable, `kehu check` said ok of it while `kehu sync` ended in git's own error."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except PermissionError:
        return permission_denied_message()
    except OSError:
        return None  # gone meanwhile, a link: not this rule's to say
    os.close(fd)
    return None


def read_bytes(path: Path | str, limit: int | None = None) -> bytes:
    """The bytes of a record file, refusing what is no record file: a symbolic link, a FIFO,
    a folder, a device, a file over its :func:`max_bytes` (or ``limit``, for a file of kehu's
    own that is no record: an undo journal's entry), an unreadable file (each a
    :class:`YamlFileError` with its problem). Every read of a record goes through here."""
    if not _text_path(path):
        raise YamlFileError(Problem(Path(path), 1, not_text_name_message()))
    # scans read a million of these: a bare descriptor costs half of a buffered file object.
    # O_NOFOLLOW: a record that is a link (to /etc/passwd, to another clone's file) is refused,
    # never read; O_NONBLOCK: a FIFO put where a record belongs opens at once (and is refused
    # below) instead of hanging the command until someone writes to it.
    try:
        fd = os.open(path, _READ_FLAGS)
    except PermissionError:
        raise YamlFileError(Problem(Path(path), 1, permission_denied_message())) from None
    except OSError:
        if os.path.islink(path):
            raise YamlFileError(Problem(Path(path), 1, link_message(path))) from None
        with contextlib.suppress(OSError):  # a socket opens as none (ENXIO): said as what it is
            mode = os.lstat(path).st_mode
            if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
                raise YamlFileError(Problem(Path(path), 1, special_file_message(mode))) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise YamlFileError(Problem(Path(path), 1, special_file_message(info.st_mode)))
        size, limit = info.st_size, limit or max_bytes(path)
        if size > limit:
            raise YamlFileError(Problem(Path(path), 1, f"file is {size} bytes; records are at most {limit}"))
        data = os.read(fd, size + 1)
        while len(data) > size:  # it grew since the fstat (being written): read to the end
            more = os.read(fd, 65536)
            if not more:
                break
            data += more
            if len(data) > limit:
                raise YamlFileError(Problem(Path(path), 1, f"file is over {limit} bytes"))
    finally:
        os.close(fd)
    if (many := too_many_lines(path, data)) is not None:
        raise YamlFileError(many)
    return data


def read_text(path: Path | str) -> str:
    """The file as UTF-8 text, refusing what is clearly not a record (:func:`read_bytes`;
    binary, not UTF-8). A byte order mark (Windows Notepad's) is kept: the loaders skip it
    (:func:`parsed_text`) and an edit writes it back (:func:`dump_roundtrip`)."""
    data = read_bytes(path)
    if wide := wide_name(data[:4]):  # UTF-16's mark: Windows Notepad's "Unicode"; UTF-32's, some editors'
        raise YamlFileError(Problem(Path(path), 1, _("{encoding} text (it starts with a {encoding} byte order mark); "
                                                    "kehu reads UTF-8: save the file as UTF-8").format(encoding=wide)))
    if b"\x00" in data:
        raise YamlFileError(Problem(Path(path), 1, "binary file (contains NUL bytes); expected YAML text"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlFileError(Problem(Path(path), line, f"not valid UTF-8 (byte {exc.start})")) from None


#: a UTF-8 byte order mark (Windows editors write one), taken off before YAML reads the text
BOM = "\ufeff"


def parsed_text(text: str, path: Path | str) -> str:
    """The text a YAML parser gets: without a UTF-8 byte order mark (which yaml-rs and PyYAML
    read as part of the first key: "id: Field required"). A ``%YAML`` directive naming another
    version than 1.2 is refused at its line: ``%YAML 1.1`` made ruamel, the editor's loader, read
    ``name: no`` as false, while the scan read it as text, so ``check`` said ok and ``customer
    set`` refused the file ("name: Input should be a valid string")."""
    text = text[1:] if text.startswith(BOM) else text
    if "\u2028" in text or "\u2029" in text or "\x85" in text:
        _refuse_line_separators(text, path)
    if ("&" in text or "*" in text) and _ANCHOR_NAME_HINT.search(text) is not None:
        _refuse_odd_anchor_names(text, path)
    if text.startswith("%") or "\n%" in text:
        for number, line in enumerate(text.split("\n"), 1):
            if line.startswith("---") or line.startswith("..."):
                break  # directives come before the document only
            match = _VERSION_DIRECTIVE.match(line)
            if match and match.group(1) != "1.2":
                raise YamlFileError(Problem(Path(path), number, _(
                    "a %YAML {version} directive: kehu reads records as YAML 1.2 (where `no` and `on` are "
                    "text, not false and true); remove the line").format(version=match.group(1))))
    return text


#: NEL, LINE and PARAGRAPH SEPARATOR, pasted from web pages and chat apps: line breaks to YAML 1.1
#: (PyYAML, and ruamel in places), text to 1.2 (yaml-rs, the scan). Written by hand, each reader
#: read another record: `tags` split in two, a key `level` or `level\u2028`, refused by some
#: and not others. kehu writes them escaped ("\L"), which every reader reads alike.
_LINE_SEPARATOR = re.compile("[\x85\u2028\u2029]")


def _refuse_line_separators(text: str, path: Path | str) -> None:
    found = _LINE_SEPARATOR.search(text)
    if found is not None:
        raise YamlFileError(Problem(Path(path), text.count("\n", 0, found.start()) + 1, _(
            "character U+{code:04X} (a line separator, as pasted from a web page or a chat) is a line "
            "break to some YAML readers and text to others: remove it, or write it inside double "
            "quotes as {escape}").format(code=ord(found.group()),
                                          escape={"\x85": "\\N", "\u2028": "\\L"}.get(found.group(), "\\P"))))


#: an anchor or alias (`&a`, `*a`) whose name runs on past ASCII letters, digits, `-` and `_`
#: (`&notes:`, `&a.b`, `*客户`): YAML 1.2 (the scan's yaml-rs, the editor's ruamel) reads every
#: character up to a space or `,[]{}` as the name, PyYAML (kehu's other loaders, and the scan for
#: a file holding an alias) ends it at `:` or refuses it. `&notes: |` was a field of no name to
#: `kehu check` and an error to `customer set`. Only a hint: the tokens say (in a plain text
#: `R &D's` or `*important*` is no anchor)
_ANCHOR_NAME_HINT = re.compile(r"(?:^|[\s\[{,])[&*][0-9A-Za-z_-]*[^0-9A-Za-z_\-\s\[\]{},]", re.M)
_ANCHOR_NAME_END = frozenset(" \t\r\n,[]{}")


def _refuse_odd_anchor_names(text: str, path: Path | str) -> None:
    """Refuse, at its line, an anchor or alias whose name YAML's readers end in different places
    (:data:`_ANCHOR_NAME_HINT`): named as a name of letters, digits, `-` and `_` ending at a space."""
    import yaml  # (not at start-up: tests/test_startup.py)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found: int | None = None
    try:
        for token in yaml.scan(text, Loader=loader):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)) and \
                    text[token.end_mark.index:token.end_mark.index + 1] not in _ANCHOR_NAME_END:
                found = token.start_mark.line + 1
                break
    except yaml.YAMLError as exc:  # PyYAML refuses the name itself (`&a.b`); else not ours to say
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        if mark is not None and ("anchor" in str(exc.context) or "alias" in str(exc.context)):
            found = mark.line + 1
    if found is not None:
        raise YamlFileError(Problem(Path(path), found, _(
            "an anchor or alias (&name, *name) whose name holds other characters than letters, digits, `-` "
            "and `_`, or is not followed by a space: YAML readers end such a name in different places; "
            "rename it, or put a space after it")))


_VERSION_DIRECTIVE = re.compile(r"%YAML[ \t]+(\S+)")
#: what comes before a document's content: directives, then a "---" line of its own
DOCUMENT_HEADER = re.compile(r"\A(?:%[^\n]*\n|#[^\n]*\n|[ \t]*\n)*---[ \t]*(?:#[^\n]*)?\n")
