"""Where yaml-rs, the scan's fast parser, and kehu's other readers of YAML read one text
otherwise, so that every door reads a record alike (``kehu check`` and the lists by the scan,
``customer show``, ``customer set`` and ``kehu edit`` by the round-trip editor):

- :func:`rs_differs`: a text yaml-rs could read differently from PyYAML, which
  :func:`reading.load_scan` then reads with PyYAML;
- :func:`editor_may_refuse` and :func:`refuse_what_the_editor_refuses`: a text the scan's
  parsers read and the editor (ruamel) refuses, refused by the scan too, with the same words.

Each rule is tried with plain substring tests first: the scan asks them of every file."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem
from ..i18n import _
from ..yamlaliases import may_alias
from .files import YamlFileError, problem_from_yaml_error
from .numbers import FLOAT_DIGITS
from .roundtrip import shared_roundtrip_yaml

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
# what each of its three ways needs written in the text (a date's `-0` is none of them: it
# sent nearly every record through the regex, 9.5 µs of the 16 of this test)
_RS_NUMBER_HINTS = ("_", "0X", "0O", "0B", "0b", "+0x", "+0o", "-0x", "-0o")
# a number yaml-rs would make a float of fewer digits than written (_construct_float); 16
# digits or points in a row (a false alarm, a long phone number, only costs the slower loader)
_RS_LONG_NUMBER = re.compile(f"[0-9][0-9.]{{{FLOAT_DIGITS - 1}}}")  # 1.3 µs a record
# `|`, `>` or `?` starting a value inside a flow collection (`[a, |x]`, `{a: >x}`, `[a, ?x]`):
# yaml-rs reads the text '|x', '>x', '?x' where PyYAML and the editor refuse the first two (an
# indicator, not text) and read `?x` as a mapping: `kehu check` said ok and `customer set` refused
_RS_FLOW_INDICATOR = re.compile(r"[\[{,][ \t]*[|>?]|[\[{,][^\n\]}]*?:[ \t]+[|>?]")
# a merge key (`<<: {level: A}`, YAML 1.1's, which the editor and PyYAML merge): yaml-rs kept a
# field named '<<', so `check` and the lists missed the level that `customer set` then kept;
# also written as a complex key (`? <<` then `: {level: A}` on the next line)
_MERGE_KEY = re.compile(r"(?:^|[\s{,])<<[ \t]*(?::|#|\r?$)", re.M)
# (and the file ending in a line of spaces, no line end, after a block scalar's text: yaml-rs
# read one more line end into the text than PyYAML and the editor)
# a block scalar left empty at the end of the file (`notes: |`, then nothing or blank lines):
# yaml-rs reads "\n" where YAML 1.2 (PyYAML, the editor) reads "" (its header, the last line)
_RS_EMPTY_BLOCK_AT_END = re.compile(r"(?:^|[\s:-])[|>][0-9+-]*[ \t]*(?:#.*)?$")


def rs_differs(text: str) -> bool:
    """Whether yaml-rs could read ``text`` differently from PyYAML (tags, several documents,
    control characters, numbers beyond YAML 1.2's core schema, numbers longer than a float, an
    empty block scalar at the end, or its text followed by a last line of spaces, a merge key,
    an indicator starting a value in a flow collection).
    Plain substring tests first: one regex over every file cost 6 µs."""
    return (("!" in text and _RS_TAG.search(text) is not None)
            or (("---" in text or "..." in text) and _RS_DOCUMENTS.search(text) is not None)
            or _RS_CONTROL.search(text) is not None
            or _RS_LONG_NUMBER.search(text) is not None
            or may_alias(text)  # anchors: PyYAML's loader, whose alias limit is kehu's own
            or _ends_in_block_header(text)
            or (text[-1:] in (" ", "\t") and ("|" in text or ">" in text) and not text.rpartition("\n")[2].strip())
            or ("<<" in text and _MERGE_KEY.search(text) is not None)
            or (("[" in text or "{" in text) and ("|" in text or ">" in text or "?" in text)
                and _RS_FLOW_INDICATOR.search(text) is not None)
            or (any(h in text for h in _RS_NUMBER_HINTS) and _RS_NUMBER.search(text) is not None))


def _ends_in_block_header(text: str) -> bool:
    """Whether the last line of ``text`` that is not blank opens a block scalar (``|``, ``>``)."""
    last = text.rstrip().rpartition("\n")[2]
    return ("|" in last or ">" in last) and _RS_EMPTY_BLOCK_AT_END.search(last) is not None


# a block scalar whose header (`|`, `>`, no indentation digit) is followed by blank lines, one of
# them holding spaces: the editor (ruamel) refuses it when the first line of text is indented
# further ("more indented follow up line than first"), which YAML 1.2, PyYAML and yaml-rs take
_SPACES_BEFORE_BLOCK_TEXT = re.compile(r"[|>][-+]?[ \t]*(?:#[^\n]*)?\r?\n(?:[ \t]*\r?\n)*? +\r?\n")


def refuse_what_the_editor_refuses(path: Path, text: str) -> YamlFileError | None:
    """A file the scan's loaders read and the round-trip editor (ruamel) refuses or reads
    otherwise: ``kehu check`` said ok while ``customer set`` failed or kept another value. Such
    files are rare, so only those that may be one (:func:`editor_may_refuse`) are tried with the
    editor's parser here, and every door refuses them alike. Known kinds are refused here:

    - a tab after ``key:`` or in a plain value (yaml-rs and libyaml read some such files);
    - a blank line holding spaces before a block scalar's first line of text indented further
      (``notes: |``, a line of two spaces, ``    text``: an editor that keeps a blank line's
      indentation writes one);
    - a key written right before the end of its flow entry (`[x:]`, `{x:}`): a key to YAML, the
      text 'x:' to the editor (:func:`_colon_read_otherwise`).

    Any other refusal of the editor's (a tab inside `[ ]`, a flow collection over several lines
    that the editor cannot read) is returned, in the editor's words, for the caller to raise once
    the scan's own loaders have read the text: where they refuse it too, theirs are the words."""
    from ruamel.yaml.error import MarkedYAMLError

    try:
        shared_roundtrip_yaml().load(text)
    except (MarkedYAMLError, yaml.YAMLError) as exc:
        problem = problem_from_yaml_error(path, exc)
        lines = text.split("\n")
        said = lines[problem.line - 1] if 0 < problem.line <= len(lines) else ""
        if "\\t" in problem.message or "\t" in problem.message or "\t" in said:
            raise YamlFileError(Problem(path, problem.line, "a tab character where YAML needs "
                                        "spaces (after 'key:' or in a plain value): replace tabs "
                                        "with spaces, or quote the value")) from None
        if "more indented follow up line than first" in problem.message:
            raise YamlFileError(Problem(path, problem.line, _(
                "a blank line holding spaces comes before this text of a block (after `|` or `>`) "
                "indented further, which kehu's editor cannot read: remove the spaces of the blank "
                "line above"))) from None
        return YamlFileError(problem)
    except Exception:  # (a recursion too deep for it) the other loaders' to report as they do
        return None
    if (":]" in text or ":," in text or ":}" in text) and _COLON_BEFORE_FLOW_END.search(text) is not None:
        with contextlib.suppress(yaml.YAMLError):  # a text PyYAML cannot scan: its loaders say why
            _colon_read_otherwise(path, text)
    return None


def editor_may_refuse(text: str) -> bool:
    """Whether ``text`` may be one of the files :func:`refuse_what_the_editor_refuses` knows: a
    tab, spaces before a block's text, or a flow collection written as kehu never writes one."""
    return ("\t" in text or (("|" in text or ">" in text) and _SPACES_BEFORE_BLOCK_TEXT.search(text) is not None)
            or (("[" in text or "{" in text) and _FLOW_THE_EDITOR_MAY_REFUSE.search(text) is not None))


#: what, in a flow collection, yaml-rs reads and the editor may refuse or read otherwise: a
#: collection left open at the end of its line (`{最爱: 茶, 其` then `次: 咖啡}`), an entry
#: starting with `:` (`{:最爱: 茶}`), a `:` right before an entry's end (`[x:]`), a quoted key
#: with its value right after the colon (`['茶':'绿茶']`). Not every flow
#: collection: kehu writes a payment as one (`- {id: …, date: …, amount: …}`), and a purchase of
#: 40 000 payments read by the editor's parser at every scan took 470 MB
_FLOW_THE_EDITOR_MAY_REFUSE = re.compile(
    r"(?:^|:[ \t]|-[ \t])[ \t]*[\[{][^\n\]}]*$|[\[{,][ \t]*:|:[,\]}]|['\"]:[^ \t\r\n]", re.M)


# `x:` right before `,`, `]` or `}` in a flow collection (`tags: [老客户, x:]`, `{x:}`): YAML (the
# scan's yaml-rs and PyYAML) reads a key `x` with no value, the editor (ruamel) the text 'x:'
# (and a quoted `['x':]` not at all): `kehu check` and the lists showed one thing, `customer
# set` kept another, or failed
_COLON_BEFORE_FLOW_END = re.compile(r":[,\]}]")


def _colon_read_otherwise(path: Path, text: str) -> None:
    """Refuse, at its line, a key written right before the end of its flow entry (`[x:]`), which
    YAML and kehu's editor (which read the text) read otherwise."""
    ends = (yaml.FlowEntryToken, yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)
    key: Any = None
    colon: Any = None
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if (isinstance(key, yaml.ScalarToken) and key.plain and isinstance(colon, yaml.ValueToken)
                and isinstance(token, ends) and colon.end_mark.index == token.start_mark.index):
            raise YamlFileError(Problem(path, colon.start_mark.line + 1, _(
                "a `:` right before `,`, `]` or `}` inside brackets or braces makes a key to YAML "
                "and text to kehu's editor: quote the text ('x:'), or put a space after the colon")))
        key, colon = colon, token
