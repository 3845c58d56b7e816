"""An edit changes the entries it edits, and no other line: the round-trip writer (ruamel) writes a
whole document again, in its own style, so a file written by another hand came back with lines
the edit was not about rewritten: a flow list over several lines (``tags: [a,⏎  b]``) made one,
the lists of a file indenting some lists and not others all made alike, a document indented as
a whole made flush left. :func:`keep_unchanged_entries` puts back, for every top-level entry
whose value the edit left as it was, the text the file had for it.

The entries are found with PyYAML's composer (libyaml, no values made: a small file costs
little), in the old text and in the new; an entry is unchanged when its node tree is (tags and
scalar texts: ``'1'`` and ``1`` differ, ``x`` and ``'x'`` do not). Anything this does not
understand (a document that is no block mapping, keys that are no plain texts, a key twice) is
left as ruamel wrote it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _same(a: yaml.Node, b: yaml.Node) -> bool:
    """Whether two composed nodes hold the same value (their layout aside)."""
    if type(a) is not type(b) or a.tag != b.tag:
        return False
    if isinstance(a, yaml.ScalarNode):
        return bool(a.value == b.value)
    if len(a.value) != len(b.value):
        return False
    if isinstance(a, yaml.SequenceNode):
        return all(_same(x, y) for x, y in zip(a.value, b.value, strict=True))
    return all(_same(ka, kb) and _same(va, vb) for (ka, va), (kb, vb) in zip(a.value, b.value, strict=True))


def top_entries(text: str) -> tuple[list[str], list[tuple[str, yaml.Node, int]], int] | None:
    """(the lines before the first entry, [(key, value node, first line)], the keys' column)
    of a block mapping document, or None when it is something else."""
    try:
        root = yaml.compose(text, Loader=_Loader)  # noqa: S506 - composes, constructs nothing
    except Exception:  # not for PyYAML (a YAML 1.2 form it does not read): left as it is
        return None
    if not isinstance(root, yaml.MappingNode) or root.flow_style or not root.value:
        return None
    entries: list[tuple[str, yaml.Node, int]] = []
    columns = set()
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode) or key.start_mark.line != key.end_mark.line:
            return None
        entries.append((key.value, value, key.start_mark.line))
        columns.add(key.start_mark.column)
    lines = [line for _key, _value, line in entries]
    if len(columns) != 1 or lines != sorted(set(lines)) or len({k for k, _v, _l in entries}) != len(entries):
        return None
    head = text.splitlines(keepends=True)[: lines[0]]
    return head, entries, columns.pop()


def entry_blocks(text: str, entries: list[tuple[str, yaml.Node, int]]) -> dict[str, str]:
    """Each entry's lines of ``text`` (:func:`top_entries`), by key: from its key's line to the next one's."""
    lines = text.splitlines(keepends=True)
    starts = [line for _key, _value, line in entries] + [len(lines)]
    return {key: "".join(lines[starts[n]:starts[n + 1]]) for n, (key, _value, _line) in enumerate(entries)}


def keep_unchanged_entries(old: str, new: str, rendered_old: Callable[[], str | None] | None = None) -> str:
    """``new`` (ruamel's text of the edited document) with the text ``old`` had for every
    top-level entry whose value is unchanged, and ``old``'s lines before the first entry; the
    entries in ``new``'s order. Both with LF line ends and no byte order mark.

    ``rendered_old``: ruamel's text of ``old`` as read, not edited (asked once, when the nodes of
    an entry written with a tag differ): an entry ruamel writes as it writes it there is one the edit left alone,
    whatever ruamel makes of it (``x: !!binary aGVsbG8=`` came back a block, ``!!bool yes``
    in a list ``true``, ``!!pairs`` a list of lists, when another field was set)."""
    before, after = top_entries(old), top_entries(new)
    if before is None or after is None:
        return new
    rendered: dict[str, str] | None = None

    def as_ruamel_writes_old() -> dict[str, str]:
        nonlocal rendered
        if rendered is None:
            text = rendered_old() if rendered_old is not None else None
            found = top_entries(text) if text is not None else None
            rendered = entry_blocks(text, found[1]) if text is not None and found is not None else {}
        return rendered
    head, old_entries, old_column = before
    _new_head, new_entries, new_column = after
    old_values = {key: value for key, value, _line in old_entries}
    old_text, new_text = entry_blocks(old, old_entries), entry_blocks(new, new_entries)
    shift = " " * max(old_column - new_column, 0)  # a document indented as a whole stays so
    pieces = ["".join(head)]
    left_alone: set[str] = set()  # entries kept as ruamel writes them alike, their nodes aside
    for key, value, _line in new_entries:
        if key in old_values and _same(old_values[key], value):
            piece = old_text[key]
        elif key in old_values and "!" in old_text[key] and as_ruamel_writes_old().get(key) == new_text[key]:
            piece = old_text[key]
            left_alone.add(key)
        else:
            piece = "".join(shift + line if line.strip() else line
                            for line in new_text[key].splitlines(keepends=True))
        if pieces[-1] and not pieces[-1].endswith("\n"):
            pieces[-1] += "\n"
        pieces.append(piece)
    kept = "".join(pieces)
    # an entry kept as it was may hold an alias (`interests: *t`) of an anchor that ruamel wrote
    # elsewhere, or not at all, once the entry holding it changed (`tags: &t`, `tags+=b`): the
    # file was left with an undefined alias, which no reader takes (exit 0). What is written
    # must mean what ruamel's text means, or ruamel's text is written.
    # (or, for an entry the edit left alone, what it meant before the edit)
    return kept if _means_the_same(kept, new, old, left_alone) else new


def _means_the_same(kept: str, new: str, old: str, left_alone: set[str]) -> bool:
    try:
        first = yaml.compose(kept, Loader=_Loader)  # noqa: S506 - composes, constructs nothing
        second = yaml.compose(new, Loader=_Loader)  # noqa: S506
        before = yaml.compose(old, Loader=_Loader) if left_alone else None  # noqa: S506
    except Exception:  # `found undefined alias`
        return False
    if first is None or second is None:
        return False
    if not left_alone:
        return _same(first, second)
    if not all(isinstance(n, yaml.MappingNode) for n in (first, second, before)):
        return False
    olds = {k.value: v for k, v in before.value}
    news = {k.value: v for k, v in second.value}
    return len(first.value) == len(second.value) and all(
        _same(key, other_key) and _same(value, olds[key.value] if key.value in left_alone else news[key.value])
        for (key, value), (other_key, _v) in zip(first.value, second.value, strict=True))
