"""Loading records for scans, fast and safe: PyYAML's C loader tuned to YAML 1.2
(:func:`load_fast`), yaml-rs for whole-store scans (:func:`load_scan`), and the document a
problem's line is looked up in (:func:`lines_doc`)."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem
from ..i18n import N_, _
from ..yamlaliases import may_alias, refuse_alias_bombs
from . import setaside
from .files import YamlFileError, parse_problem, parsed_text, problem_from_yaml_error, read_text
from .numbers import beyond_float, whole_number
from .roundtrip import line_of, shared_roundtrip_yaml
from .scalars import BOOL, FLOAT, INT, PLAIN_NUMBERS_AND_BOOLS
from .scan_rules import editor_may_refuse, refuse_what_the_editor_refuses, rs_differs
from .setaside import SetAside, set_aside

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


# YAML 1.2's booleans and numbers, the round-trip editor's table too (:mod:`.scalars`)
FastLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (BOOL, INT, FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in PLAIN_NUMBERS_AND_BOOLS:
    FastLoader.add_implicit_resolver(_tag, _pattern, _first)


def _construct_timestamp(loader: FastLoader, node: yaml.ScalarNode) -> Any:
    """A date that does not exist (1990-13-40), or text tagged as one (``!!timestamp 赵敏``, an
    AttributeError in PyYAML: a traceback of ``kehu check``), stays text, as the editor reads it,
    so validation names its field."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, AttributeError):
        return str(node.value)


FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _construct_bool(loader: FastLoader, node: yaml.ScalarNode) -> bool:
    """A boolean; text tagged as one (``!!bool abc``, a KeyError in PyYAML: a traceback of
    ``kehu check``) is refused at its line, as the editor refuses it."""
    try:
        return bool(yaml.constructor.SafeConstructor.construct_yaml_bool(loader, node))
    except KeyError:
        raise yaml.constructor.ConstructorError(
            None, None, _("not true or false: {value}").format(value=repr(node.value)), node.start_mark) from None


FastLoader.add_constructor(BOOL, _construct_bool)


def _refuse_pairs(loader: FastLoader, node: yaml.Node) -> Any:
    """``!!omap`` and ``!!pairs``: a list of pairs to PyYAML (``disabled: !!omap []`` an empty
    list), an ordered mapping to the editor (an empty mapping): each door read another value.
    kehu writes neither; refused at its line."""
    raise yaml.constructor.ConstructorError(
        None, None, _("{tag}: kehu reads no ordered maps or pairs; write a plain mapping or list (remove the "
                      "tag)").format(tag=node.tag.rpartition(':')[2]), node.start_mark)


for _tag in ("tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs"):
    FastLoader.add_constructor(_tag, _refuse_pairs)


def _construct_float(loader: FastLoader, node: yaml.ScalarNode) -> Any:
    """A number of more digits than a float keeps is its text, as a ``Decimal``
    (:mod:`.numbers`): the models refuse it as they refuse the digits typed, where the float
    passed ``kehu check`` as ¥100.00. Any other number is the float it always was."""
    value = yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)
    return Decimal(node.value) if beyond_float(node.value, value) else value


FastLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _construct_int(loader: FastLoader, node: yaml.ScalarNode) -> int:
    """A whole number as YAML 1.2 writes it (:func:`.numbers.whole_number`), as yaml-rs and the
    round-trip editor read it. One of over 4 300 digits, which Python makes no int of from text ("Exceeds
    the limit ... for integer string conversion" was the problem `check` named), is a stand-in
    past the 18 digits records hold, of its sign, so the models name it at its line as they
    name any number too long (``hostile.too_deep``)."""
    text = str(loader.construct_scalar(node))
    try:
        return whole_number(text)
    except ValueError:
        if text.lstrip("+-").isdigit():
            return (-1 if text.startswith("-") else 1) * 10 ** 19
        raise yaml.constructor.ConstructorError(
            None, None, _("not a whole number: {value}").format(value=repr(text)), node.start_mark) from None


FastLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class ScanLoader(FastLoader):  # type: ignore[misc, valid-type]
    """:class:`FastLoader` reading as the scan's yaml-rs does (``parse_datetime=False``): a plain
    date stays ISO text, an explicit ``!!timestamp`` tag is still a date (and refused where text
    belongs). For the files yaml-rs reads differently, so every scanned record looks alike."""


ScanLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in FastLoader.yaml_implicit_resolvers.items()
}


def load_fast(path: Path, *, loader: type[FastLoader] | None = None) -> Any:
    """Parse a YAML file quickly and safely; raise :class:`YamlFileError` with path and line.

    A text PyYAML reads and the round-trip editor refuses (a tab in a plain value, a flow
    collection written as kehu never writes one: :func:`.scan_rules.editor_may_refuse`) is
    refused, as the scan refuses it: kehu.yaml and a visit plan, read here, were read by every
    command and refused by `kehu keys` (which edits kehu.yaml) or wherever a plan's line is
    looked up. (``loader``: the scan's own reading, which has checked that already.)"""
    try:
        text = parsed_text(read_text(path), path)
        refused = refuse_what_the_editor_refuses(path, text) if loader is None and editor_may_refuse(text) else None
    except YamlFileError as exc:
        raise YamlFileError(exc.problem) from None
    data = _load_fast_text(path, text, loader)
    if refused is not None:  # read here, refused by the editor: every door refuses it
        raise refused
    return data


def load_fast_text(path: Path, text: str) -> Any:
    """:func:`load_fast` of ``text``, what is to be written to ``path``: read as it will be."""
    try:
        parsed = parsed_text(text, path)
    except YamlFileError as exc:
        raise YamlFileError(exc.problem) from None
    return _load_fast_text(path, parsed)


def _load_fast_text(path: Path, text: str, loader: type[FastLoader] | None = None) -> Any:
    """:func:`load_fast` of ``path``'s text, already read (:func:`parsed_text`)."""
    try:
        return yaml.load(text, Loader=loader or FastLoader)  # noqa: S506 - a safe loader
    except YamlFileError as exc:
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
def load_scan(path: Path) -> Any:
    """Parse a record for a scan (index, check), as fast as possible.

    Dates stay ISO strings here: the models turn them into dates, so the validated records are
    the same as with :func:`load_fast` or ruamel (a test checks this on the demo store).
    """
    if yaml_rs is None:
        return load_fast(path)
    try:
        text = parsed_text(read_text(path), path)
        refused = refuse_what_the_editor_refuses(path, text) if editor_may_refuse(text) else None
        # (PyYAML as yaml-rs reads: plain dates stay text)
        data = load_fast(path, loader=ScanLoader) if rs_differs(text) else yaml_rs.loads(text, parse_datetime=False)
        if refused is not None:  # read here, refused by the editor: every door refuses it
            raise refused
        return data
    except YamlFileError as exc:
        raise YamlFileError(exc.problem) from None
    except yaml_rs.YAMLDecodeError as exc:
        message = str(exc)
        match = _RS_LINE.search(message)
        if match is None:
            load_fast(path)  # PyYAML names the line yaml-rs does not (a duplicate key); raises
        detail = message.splitlines()[-1].strip() if "\n" in message else message
        raise YamlFileError(parse_problem(path, int(match.group(1)) if match else 1, detail)) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise YamlFileError(Problem(path, 1, _("invalid YAML: {detail}").format(detail=exc))) from None


# a quoted date ("2026-05-01", or escaped: "\x32026-05-01"): text to PyYAML, which yaml-rs's
# text alone cannot tell from a plain date (a date to PyYAML); such ledgers are read by PyYAML
_QUOTED_DATE = re.compile(r"[\"'][0-9]{4}-")
_TIMESTAMP = next(rx for tag, rx in FastLoader.yaml_implicit_resolvers["0"] if tag.endswith(":timestamp"))


#: a ledger line that is no entry: ``kehu check``, every reader of a ledger and a customer
#: merge (store.ledgers.ledger_entry) say it alike
NOT_AN_ENTRY = N_("not a ledger entry: a ledger holds one `- {{date: ..., reason: ..., ...}}` entry a line "
                  "(or a `#` comment)")

#: a line of a ledger that is neither an entry's first line (``- ``), a comment nor blank: an
#: entry written over several lines (``- date: ...`` then ``  delta: 5``), which every YAML
#: reader took while git's union merge, which merges ledgers line by line, cut it in two
_NOT_ONE_LINE = re.compile(r"^(?!- |[ \t]*#|[ \t]*\r?$)", re.M)
#: a carriage return alone inside a line of a ledger whose lines end at LF: a line break to
#: YAML (which then read two entries, or one over two lines) and none to git, whose union merge
#: took the line for one (two clones each voiding one of its entries brought both back)
_CR_INSIDE = re.compile(r"\r(?!\n)")
CR_INSIDE = N_("a carriage return (CR) inside this line: YAML reads a line break there and git does not, so "
               "git's merge takes what is on both sides of it for one line; write each entry on a line of its "
               "own")


def load_entries(path: Path) -> Any:
    """A ledger (a list of one-line entries) as :func:`load_fast` reads it, dates as dates, by
    yaml-rs wherever that reads the same: a ledger at its size limit (8 MiB, 101 000 entries)
    took PyYAML 9.7 s and 574 MB, yaml-rs 0.4 s and 219 MB; every command showing that
    customer paid it. A ledger yaml-rs could read otherwise goes to PyYAML, as for the scan.
    Each entry on a line of its own, or YamlFileError at the first line that is none."""
    try:
        text = parsed_text(read_text(path), path)
    except YamlFileError as exc:
        raise YamlFileError(exc.problem) from None
    entries = _entries(path, text)
    if isinstance(entries, list):  # else no ledger at all, as its reader says
        other = _NOT_ONE_LINE.search(text)
        if other is not None:
            raise YamlFileError(Problem(path, text.count("\n", 0, other.start()) + 1, _(NOT_AN_ENTRY).format()))
        inside = _CR_INSIDE.search(text) if "\n" in text else None  # (a Mac's file of CRs alone: no LF)
        if inside is not None:
            raise YamlFileError(Problem(path, text.count("\n", 0, inside.start()) + 1, _(CR_INSIDE)))
    return entries


def load_entry_line(path: Path, line: str) -> Any:
    """One line of a ledger, read as :func:`load_entries` reads the whole file (yaml-rs where it
    reads alike, else PyYAML): a customer merge, a sync settling a ledger's merge and a line
    read back (``store.ledgers.ledger_entry``) read each line as `kehu check` and `points` read
    them. PyYAML alone refused `ref: :x` and `reason:?  x`, which yaml-rs read. YamlFileError
    (at the line's line 1) where the line is no YAML."""
    return _entries(path, parsed_text(line, path))


#: `:` where yaml-rs (YAML 1.2) reads text and PyYAML refuses the line: right after `{`, `[` or
#: `,` (`{:date: …}`), starting a value (`ref: :x`), or before `?` (`reason:?  x`): never in a
#: line kehu writes, so such a ledger is read by PyYAML, which names the line
_ODD_COLON = re.compile(r"[\[{,][ \t]*:|:[ \t]+:|:\?")


def _entries(path: Path, text: str) -> Any:
    if (yaml_rs is None or "\t" in text or "\\" in text or rs_differs(text) or _QUOTED_DATE.search(text)
            or _ODD_COLON.search(text)):
        return _load_fast_text(path, text)  # the text read once, whichever loader reads it
    try:
        return _dated(yaml_rs.loads(text, parse_datetime=False))
    except (yaml_rs.YAMLDecodeError, ValueError, TypeError, RecursionError):
        return _load_fast_text(path, text)  # PyYAML names the problem and its line, as ever


def _dated(value: Any) -> Any:
    """yaml-rs's values with each plain date as PyYAML makes it (no quoted one is left here)."""
    if isinstance(value, str):
        return _timestamp(value) if value[:1].isdigit() and _TIMESTAMP.match(value) else value
    if isinstance(value, list):
        return [_dated(v) for v in value]
    if isinstance(value, dict):
        return {_dated(k): _dated(v) for k, v in value.items()}
    return value


@functools.lru_cache(maxsize=4096)  # a ledger's entries share few days
def _timestamp(text: str) -> Any:
    return yaml.load(text, Loader=FastLoader)  # noqa: S506 - a safe loader


def lines_doc(path: Path, text: str | None = None) -> Any:
    """The file's YAML nodes, only to look up line numbers (:func:`line_of` reads them); None if
    nothing reads it.

    Composed by libyaml, whose nodes know their lines: ruamel's round-trip document, asked
    first until 2026-12-05, took 5 s for a profile of 64 000 list items (a colleague's 1 MB
    file, named by `kehu check` at every read), libyaml a tenth of it. A text libyaml does not
    take (two documents, a tab where YAML 1.2 allows one) is read by ruamel, as it is edited.
    ``text``: what is to be written to ``path`` (its lines, not the file's)."""
    try:
        return yaml.compose(parsed_text(read_text(path) if text is None else text, path), Loader=_BaseLoader)
    except (YamlFileError, yaml.YAMLError, ValueError, RecursionError):
        pass
    try:
        return load_roundtrip(path) if text is None else shared_roundtrip_yaml().load(parsed_text(text, path))
    except YamlFileError:
        return None
    except Exception:  # a text of the edit ruamel does not take: no lines (each problem at line 1)
        if text is None:
            raise
        return None


def load_roundtrip(path: Path) -> Any:
    """``path``'s document as ruamel's round trip reads it (comments, key order, quoting kept for
    an edit: ``roundtrip``'s configuration), after the bounds every record keeps. Here, beside
    the fast loader, which it asks first for a big file (``roundtrip`` reads nothing itself)."""
    return load_roundtrip_to_edit(path, None)[0]


def load_roundtrip_to_edit(path: Path, edits: Callable[[str], bool] | None) -> tuple[Any, SetAside | None]:
    """:func:`load_roundtrip`, with the big top-level entries ``edits(key)`` says the edit leaves
    alone set aside (``setaside.set_aside``: their values read by the fast loader, as the scan
    reads them, their text kept), and what was set aside, for ``dump_roundtrip(aside=...)``.
    The document's lines (``line_of``) are not the file's when anything was set aside."""
    from ruamel.yaml.error import MarkedYAMLError

    try:
        text = parsed_text(read_text(path), path)
        values = None
        if edits is not None and len(text) >= setaside.ASIDE_AT:
            # the values as the scan reads them (dates as text, as ruamel's DateText); a text
            # they do not read is ruamel's to say what is wrong with, as ever
            with contextlib.suppress(YamlFileError):
                values = _load_fast_text(path, text, ScanLoader)
        _refuse_too_many_values(path, text, values)
        aside = None if values is None else set_aside(
            text, edits, values, lambda line: _load_fast_text(path, line, ScanLoader))
        if aside is None:
            return shared_roundtrip_yaml().load(text), None
        doc = shared_roundtrip_yaml().load(aside.text)
        for key, value in aside.values.items():
            aside.placeholders[key] = doc[key]
            doc[key] = value
        return doc, aside
    except YamlFileError as exc:
        raise YamlFileError(exc.problem) from None
    except (MarkedYAMLError, yaml.YAMLError) as exc:
        raise YamlFileError(problem_from_yaml_error(path, exc)) from None
    except Exception as exc:  # ruamel raises plain errors for a few broken inputs
        raise YamlFileError(Problem(path, 1, _("invalid YAML: {detail}").format(detail=exc))) from None


def _refuse_too_many_values(path: Path, text: str, data: Any = None) -> None:
    """A record of more values than a record holds (``models.MAX_VALUES``), or of more fields
    (``models.MAX_FIELDS``), is refused before ruamel reads it, as `kehu check` names it (at the
    same line, in the same words): the round-trip loader makes objects of each value, and a
    field of a million short values (2 MB) took it 182 s and 1.9 GB for one `customer set`,
    100 000 fields 28 s; libyaml reads them in a few seconds. A text of fewer characters than
    twice the limit holds fewer values (`0,` is two), and one of fewer lines and commas (a flow
    mapping's) fewer fields. ``data``: the text as the fast loader reads it, when the caller has it."""
    from ..models.hostile import MAX_FIELDS, MAX_VALUES, too_deep, too_many_fields

    if len(text) <= 2 * MAX_VALUES and text.count("\n") <= MAX_FIELDS and text.count(",") <= MAX_FIELDS:
        return
    try:
        data = _load_fast_text(path, text) if data is None else data
        found = too_many_fields(data) or too_deep(data)
    except YamlFileError:
        return  # (what the editor's loader says of it)
    if found is not None:
        raise YamlFileError(Problem(path, line_of(lines_doc(path), found.loc), str(found)))
