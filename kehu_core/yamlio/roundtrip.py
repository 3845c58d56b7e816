"""Round-trip loading and writing with ruamel.yaml: comments, key order, quoting and fields
kehu does not know survive an edit; only the file being edited pays for it. Also the line of a
field in a loaded document (:func:`line_of`), for messages."""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # ruamel is imported by the first round-trip: a scan, a new file, a ledger line need none
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import RoundTripRepresenter

    from .setaside import SetAside  # (which builds on this module: see dump_roundtrip)

from ..i18n import _
from ..yamlaliases import refuse_alias_bombs
from .files import BOM, DOCUMENT_HEADER
from .numbers import WrittenDecimal, WrittenFloat, WrittenInt, beyond_float, whole_number
from .scalars import ruamel_resolver
from .splice import keep_unchanged_entries


def _represent_written(representer: RoundTripRepresenter, value: WrittenDecimal | WrittenFloat | WrittenInt) -> Any:
    """A number read from the file, unchanged: as it was written."""
    tag = "int" if isinstance(value, WrittenInt) else "float"
    return representer.represent_scalar(f"tag:yaml.org,2002:{tag}", value.text)


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
            _dates_as_text(node)
            return super().construct_document(node)

    return _RoundTripConstructor


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_DATE_TEXT = "tag:kehu,2026:date-text"


class DateText(str):
    """A plain value or key written as a date (``notes: 2026-01-01``, ``2026-01-01: 送礼``):
    text, as the scan reads every date (yaml-rs, ``parse_datetime=False``; a date field's model
    reads the text as its day), and written back as it was, unquoted. ruamel made it a date,
    which no text field and no field name is: `kehu check` and `customer show` took the profile,
    `customer set` refused it ("notes: expected text, and YAML reads this as a date"), and so
    did `kehu customer merge` and `kehu handover`, which stopped half-way through a rep's
    customers at the first such one ("…: Keys should be strings" for a key)."""


def _dates_as_text(node: Any) -> None:
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    todo, seen = [node], set()
    while todo:
        current = todo.pop()
        if id(current) in seen:  # an alias: the same node again
            continue
        seen.add(id(current))
        if isinstance(current, MappingNode):
            for key, value in current.value:
                todo += [key, value]
        elif isinstance(current, SequenceNode):
            todo += current.value
        elif isinstance(current, ScalarNode) and current.tag == _TIMESTAMP:
            current.tag = _DATE_TEXT


def _construct_date_text(constructor: Any, node: Any) -> DateText:
    return DateText(constructor.construct_scalar(node))


def _represent_date_text(representer: RoundTripRepresenter, value: DateText) -> Any:
    return representer.represent_scalar(_TIMESTAMP, str(value))  # a plain date, as written


def roundtrip_yaml(*, indented_lists: bool = False) -> YAML:
    """The ruamel configuration kehu writes with, so re-saving never reformats a file.

    kehu writes block sequences unindented under their key (PyYAML's style), so that new files
    can come from the C emitter (:func:`dump_new`) in exactly the form ruamel re-saves them.
    A file someone wrote with indented lists (``  - VIP``) is re-saved in that style instead.
    """
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.Constructor = _round_trip_constructor()
    rt.Resolver = ruamel_resolver()  # the scan's booleans and numbers, whatever %YAML a file says
    if indented_lists:
        rt.indent(mapping=2, sequence=4, offset=2)
    else:
        rt.indent(mapping=2, sequence=2, offset=0)
    rt.width = 4096  # never fold long notes onto new lines: that would churn diffs
    rt.preserve_quotes = True
    rt.allow_duplicate_keys = False
    rt.representer.add_representer(Decimal, _represent_decimal)
    rt.representer.add_representer(WrittenDecimal, _represent_written)
    rt.representer.add_representer(WrittenFloat, _represent_written)
    rt.representer.add_representer(WrittenInt, _represent_written)
    rt.representer.add_representer(dt.date, _represent_date)
    rt.representer.add_representer(str, _represent_str)
    rt.constructor.add_constructor("tag:yaml.org,2002:str", _rt_str)
    rt.constructor.add_constructor("tag:yaml.org,2002:float", _rt_float)
    rt.constructor.add_constructor("tag:yaml.org,2002:int", _rt_int)
    rt.constructor.add_constructor(_DATE_TEXT, _construct_date_text)
    rt.representer.add_representer(DateText, _represent_date_text)
    return rt


# NEL, LINE and PARAGRAPH SEPARATOR (pasted from web pages and chat apps) are line breaks to
# YAML 1.1 but not to 1.2: written unescaped, each loader read them back differently. Escaped
# in double quotes ("\N", "\L", "\P") every loader reads the same text.
YAML_BREAKS = re.compile("[\x85\u2028\u2029]")


def _represent_str(representer: RoundTripRepresenter, value: str) -> Any:
    from ruamel.yaml.representer import RoundTripRepresenter

    if YAML_BREAKS.search(value):
        return representer.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return RoundTripRepresenter.represent_str(representer, value)


def _rt_str(constructor: Any, node: Any) -> Any:
    """Text, also when tagged by hand (``name: !!str 123``), as the scan reads it: ruamel kept
    a ``TaggedScalar``, which no field takes, so ``check`` said ok and ``customer set`` refused
    the file ("name: Input should be a valid string")."""
    return constructor.construct_scalar(node)


def _rt_float(constructor: Any, node: Any) -> Any:
    """A number of more digits than a float keeps, as the scan reads it (:mod:`.numbers`); any
    number written back as it was while the edit leaves it alone."""
    from ruamel.yaml.constructor import RoundTripConstructor

    value = float(RoundTripConstructor.construct_yaml_float(constructor, node))
    text = str(node.value)
    return WrittenDecimal(text, text) if beyond_float(text, value) else WrittenFloat(value, text)


def _rt_int(constructor: Any, node: Any) -> Any:
    """A whole number by YAML 1.2's rule, as the scan reads it (:func:`.numbers.whole_number`),
    written back as it was (``0x1F`` stays so) while the edit leaves it alone. The scan's
    stand-in for a number too long for Python (:func:`.reading._construct_int`) is not needed
    here: the editor opens only files the scan passed."""
    from ruamel.yaml.constructor import ConstructorError

    text = str(constructor.construct_scalar(node))
    try:
        return WrittenInt(whole_number(text), text)
    except ValueError:
        raise ConstructorError(None, None, _("not a whole number: {value}").format(value=repr(text)),
                               node.start_mark) from None


@functools.cache
def shared_roundtrip_yaml(indented_lists: bool = False) -> YAML:
    """The round-trip configuration (:func:`roundtrip_yaml`) every reading and writing of a file
    in its list style uses: made once a style, on first use (making one costs more than a small file's read)."""
    return roundtrip_yaml(indented_lists=indented_lists)


# "key:" (maybe a comment), then the first item of its block list on the next line
_FIRST_LIST = re.compile(r"^( *)[^\s#-][^\n]*:[ \t]*(?:#[^\n]*)?\n( *)- ", re.M)


def has_indented_lists(text: str) -> bool:
    """Whether a file indents its block lists under their keys (``tags:\n  - VIP``)."""
    match = _FIRST_LIST.search(text)
    return bool(match) and len(match.group(2)) > len(match.group(1))


def dump_roundtrip(data: Any, *, like: str | None = None, aside: SetAside | None = None) -> str:
    """Text of ``data``; with ``like`` (the file's old text) in that file's list style and with
    its line ends (CRLF from Windows editors: an edit changes one line, not every line).
    ``aside``: ``data`` was read with some big entries set aside (``reading.load_roundtrip``'s
    ``edits``): those the edit left as they were are written as the file had them, ruamel
    writing a line in their place; an entry given a new value is ruamel's as ever."""
    if aside is not None and like is not None:
        text = aside.written(data)  # (its module's: it builds on this one's)
        if text is not None:
            return as_written_like(text, like)
    stream = io.StringIO()
    shared_roundtrip_yaml(like is not None and has_indented_lists(like)).dump(data, stream)
    text = stream.getvalue()
    if like is not None:
        # the entries the edit left as they were, as the file wrote them (a flow list over
        # several lines, a list indented unlike the others ...): an edit changes its lines only
        old = as_lf(like)
        text = keep_unchanged_entries(old, text, functools.partial(rendered_unedited, old, has_indented_lists(like)))
        # a "%YAML 1.2" directive and the "---" after it, which ruamel drops: kept, so an edit
        # changes the lines it edits only
        header = DOCUMENT_HEADER.match(old)
        if header and not text.startswith(("%", "---")):
            text = header.group(0) + text
    return as_written_like(text, like)


def as_lf(text: str) -> str:
    """A file's text as the splice reads it: no byte order mark, LF line ends."""
    return text.removeprefix(BOM).replace("\r\n", "\n").replace("\r", "\n")


def rendered_unedited(text: str, indented_lists: bool) -> str | None:
    """ruamel's text of the document ``text`` as it reads it, unedited (None if it cannot)."""
    stream = io.StringIO()
    try:
        shared_roundtrip_yaml(indented_lists).dump(shared_roundtrip_yaml(indented_lists).load(text), stream)
    except Exception:  # a document only the caller's own reading takes: its nodes decide alone
        return None
    return stream.getvalue()


def as_written_like(text: str, like: str | None) -> str:
    """``text`` (kehu's, LF) with the byte order mark and the line ends of ``like``, the old
    text of the file it replaces (a Windows editor's CRLF: a rewrite changes the lines it
    changes, not every line); as it is when there was no file."""
    if like is not None and like.startswith(BOM):
        text = BOM + text
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
        # its keys looked up in a table made once (the first of a key written twice, as the
        # scan before): a line asked for each of 20 000 segments went through them all each time
        table = getattr(node, "_kehu_keys", None)
        if table is None or table[0] != len(node.value):  # a composed node: not changed after
            keys: dict[str, tuple[int, yaml.Node]] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    keys.setdefault(key_node.value, (key_node.start_mark.line + 1, value_node))
            table = (len(node.value), keys)
            node._kehu_keys = table  # type: ignore[attr-defined]
        return table[1].get(str(key))
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
