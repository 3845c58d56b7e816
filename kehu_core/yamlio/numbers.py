"""A number of more digits than a float keeps, read by every loader as the same value.

``amount: 99.999999999999999999999999999`` is the float 100.0, and ``big:
123456789012345678901234567890.123456789`` the float 1.2345678901234568e+29. The scan
(:class:`~kehu_core.yamlio.reading.FastLoader`) reads such a number as its text, a ``Decimal``,
so the models refuse it as they refuse the digits typed (kehu keeps amounts to the fen); the
round-trip editor reads it so too, and writes it back as it was, where it wrote the float's
digits (``123456789012345677877719597056.000000000``) into a field the edit never touched.
Any number the editor reads is written back as it was written, if the edit leaves it alone.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

#: a float keeps about 17 significant digits: a shorter number is exactly what its float says
FLOAT_DIGITS = 16


def beyond_float(text: str, value: float) -> bool:
    """Whether ``text`` (a YAML float scalar) says more than its float ``value`` holds."""
    return len(text) >= FLOAT_DIGITS and math.isfinite(value) and Decimal(text) != Decimal(repr(value))


class _AsWritten:
    """A number as the round-trip editor read it: its value, and the text it is written back as
    while nobody changes it (``1.2345678901234567890e5``, ``0x1F``, ``.5e3``: ruamel wrote the
    last back as ``50.e1`` in an edit of another field)."""

    text: str

    def __new__(cls, value: Any, text: str) -> Any:
        number = super().__new__(cls, value)  # type: ignore[call-arg]
        number.text = text
        return number

    # a number never changes: a copy is itself (a hook is given its own copy of a record, made
    # by deepcopy, which rebuilt one without its text: "internal error: TypeError"), and it is
    # pickled with its text (an import's worker processes)
    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self._plain(), self.text)

    def _plain(self) -> Any:
        for base in type(self).__mro__:
            if base in (Decimal, float, int):
                return base(self)  # type: ignore[call-overload]
        raise TypeError(type(self).__name__)


class WrittenDecimal(_AsWritten, Decimal):
    """A long number (more digits than a float keeps), as written."""


class WrittenFloat(_AsWritten, float):
    """A number, as written."""


class WrittenInt(_AsWritten, int):
    """A whole number, as written."""


def whole_number(text: str) -> int:
    """A YAML 1.2 whole number (``17``, ``017`` is 17, ``0o17``, ``0x1F``, a sign before
    decimal digits), as every loader reads it: PyYAML's own made ``017`` octal 15 (yaml-rs and
    ruamel 17) and ``08`` no number at all. ValueError if it is none."""
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text.removeprefix("+"))
    if digits.startswith(("0o", "0x")):
        return sign * int(digits[2:], 8 if digits[1] == "o" else 16)
    return sign * int(digits)
