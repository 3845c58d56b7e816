"""An edit beside a very long entry: a document read with its big top-level entries set aside,
and written back with their lines as the file had them (see below). Built on
:mod:`.roundtrip` (its ruamel configuration and rendering); ``dump_roundtrip`` calls back
through :meth:`SetAside.written`, so neither module imports the other both ways.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from typing import Any

from .files import DOCUMENT_HEADER
from .roundtrip import as_lf, has_indented_lists, rendered_unedited, shared_roundtrip_yaml, to_plain_yaml_value
from .splice import entry_blocks, keep_unchanged_entries, top_entries

# --- big entries set aside --------------------------------------------------------------------
#
# ruamel's round trip costs per value, reading and writing: `customer set ID nickname=x` on a
# profile holding a list of 40 000 items took 6.8 s, all of it ruamel's on the list the edit
# left alone (whose text the splice then put back). So an edit may read a document with its big
# top-level entries set aside: ruamel reads the document with one line `"key": 0` in place of
# each (a few lines instead of thousands), the entry's value is read by the fast loader (libyaml,
# as the scan reads it) for the caller to validate, and the text written has the entry's lines as
# the file had them, as the splice would have kept them. Only entries ruamel and the fast loader
# read alike are set aside: no tag, anchor, alias, tab or directive in their text.

#: a top-level entry of at least this many characters may be set aside
ASIDE_AT = 4096
_ASIDE_REFUSED = re.compile(r"[!&*\t%]")


class SetAside:
    """What :func:`set_aside` took out of a document: ``text`` the document ruamel reads (LF,
    each entry set aside one line), and for each such entry its line there, its lines in the file
    and the value the fast loader read of them (placed in the document for the caller)."""

    def __init__(self, text: str, indented_lists: bool) -> None:
        self.text = text
        self.indented_lists = indented_lists
        self.lines: dict[str, str] = {}
        self.blocks: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self.placeholders: dict[str, Any] = {}  # ruamel's value of each entry's line (load_roundtrip)

    def written(self, data: Any) -> str | None:
        """The text of ``data``, read with this set aside, for :func:`.roundtrip.dump_roundtrip`
        (which calls it on the object it is given: this module builds on that one, never the
        other way round), or None when it is to be written as ever."""
        return _dump_setting_aside(data, self)


    def append(self, key: str, items: list[Any]) -> bool:
        """Add ``items`` (ruamel's values, as the round trip would append them) at the end of the
        block list ``key``, set aside, as the lines ruamel writes of them in the list's own
        indentation: a payment on a purchase of 40 000 payments took 37.6 s of CPU and 715 MB
        when ruamel read and wrote the whole list to add one line. False (nothing changed) when
        the entry is not a block list that begins on the line after its key; the caller then
        reads it whole, as ever, and checks the text written holds each item (a line added
        where it is no item of the list: read whole)."""
        block, value = self.blocks.get(key), self.values.get(key)
        first = _LIST_KEY.match(block or "")
        if block is None or first is None or not isinstance(value, list) or not value:
            return False
        item = _ITEM.search(block, first.end())
        if item is None or len(item.group(1)) < len(first.group(1)):
            return False
        indent = item.group(1)
        stream = io.StringIO()
        seq = to_plain_yaml_value([])
        seq.extend(items)
        shared_roundtrip_yaml(len(indent) > len(first.group(1))).dump({key: seq}, stream)
        written = stream.getvalue().splitlines(keepends=True)[1:]
        shift = len(written[0]) - len(written[0].lstrip(" ")) if written else 0
        lines = [indent + line[shift:] for line in written]
        if not lines or any(line[:shift].strip() for line in written):
            return False
        self.blocks[key] = block + ("" if block.endswith("\n") else "\n") + "".join(lines)
        value.extend(items)  # (the object in the document: the entry is still left alone)
        return True


# a top-level entry's key line with nothing after the colon (a block list follows), and an item
_LIST_KEY = re.compile(r"( *)[^\s#:][^\n]*:[ ]*(?:#[^\n]*)?\n")
_ITEM = re.compile(r"^( *)- ", re.M)


def set_aside(text: str, edits: Callable[[str], bool], values: Any, read: Callable[[str], Any]) -> SetAside | None:
    """The big top-level entries of ``text`` (a file's, any line ends) that ``edits(key)`` says
    the edit leaves alone, each as one line, their values those of ``values`` (the document as
    the fast loader reads it); ``read``: the fast loader (of one line: is the key, written plain,
    the text it is?). None when there is none to set aside (or the document is not one the
    splice understands)."""
    if len(text) < ASIDE_AT or not isinstance(values, dict):
        return None
    old = as_lf(text)
    found = top_entries(old)
    if found is None:
        return None
    head, entries, column = found
    blocks = entry_blocks(old, entries)
    aside = SetAside("", has_indented_lists(text))
    for key, _value, _line in entries:
        block = blocks[key]
        line = f"{' ' * column}{key}: 0\n"  # the key as the file writes it: plain
        if (len(block) < ASIDE_AT or not key.isidentifier() or not block.startswith(line[:-3])
                or _ASIDE_REFUSED.search(block) or edits(key)):
            continue
        try:
            placeholder = read(line)
        except Exception:  # noqa: BLE001 - ruamel reads it and says what is wrong, as ever
            continue
        if key not in values or placeholder != {key: 0} or type(next(iter(placeholder))) is not str:
            continue  # a key YAML reads as no text (`true:`): ruamel's own
        aside.lines[key], aside.blocks[key], aside.values[key] = line, block, values[key]
    if not aside.values:
        return None
    aside.text = "".join(head) + "".join(aside.lines.get(key, blocks[key]) for key, _value, _line in entries)
    return aside


def _dump_setting_aside(data: Any, aside: SetAside) -> str | None:
    """:func:`.roundtrip.dump_roundtrip` of ``data`` read with ``aside`` (LF text), or None when
    the text ruamel writes does not hold each entry left alone as its one line (then the whole
    document is written as ever)."""
    left = [key for key, value in aside.values.items() if key in data and data[key] is value]
    for key in left:
        data[key] = aside.placeholders[key]
    try:
        stream = io.StringIO()
        shared_roundtrip_yaml(aside.indented_lists).dump(data, stream)
    finally:
        for key in left:
            data[key] = aside.values[key]
    text = keep_unchanged_entries(aside.text, stream.getvalue(),
                                  functools.partial(rendered_unedited, aside.text, aside.indented_lists))
    header = DOCUMENT_HEADER.match(aside.text)
    if header and not text.startswith(("%", "---")):
        text = header.group(0) + text
    found = top_entries(text)
    if found is None:
        return None
    head, entries, _column = found
    blocks = entry_blocks(text, entries)
    if any(blocks.get(key) != aside.lines[key] for key in left):
        return None
    written = ["".join(head)]
    for key, _value, _line in entries:
        block = aside.blocks[key] if key in left else blocks[key]
        if written[-1] and not written[-1].endswith("\n"):
            written[-1] += "\n"
        written.append(block)
    return "".join(written)
