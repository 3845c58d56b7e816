"""The one spelling of a text kehu finds by equality: a customer's owner (a rep), tags, level and
credit grade, and what a command or a setting is given to match them (``--owner``, ``--tag``,
``kehu handover``, a visit plan's rep, a segment's conditions). Spaces at the ends are none of it,
and an accent is one character however it was typed: ``José`` keyed in on one machine is ``J o s
e`` + a combining accent (NFD) pasted from a macOS file name on another, and the two were two
reps (two columns of `kehu report reps`, a filter finding one half, two visit plan folders) and
``café`` two tags. Light on purpose: the command line's option types use it before any model."""

from __future__ import annotations

import unicodedata


def composed(text: str) -> str:
    """``text`` in composed form (NFC); ASCII, the common case, as it is."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def key_text(text: str) -> str:
    """``text`` without spaces at its ends, in composed form (NFC)."""
    return composed(text.strip())
