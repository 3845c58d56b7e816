"""Money as kehu keeps it: exact decimals of yuan, to the fen (分). Light on purpose: the
models, the reports and the answers read from the index alone all use it."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from .i18n import _

CENT = Decimal("0.01")

#: digits before the point of an amount (models.Money: 14 digits, 2 after the point)
MONEY_DIGITS = 12


# what people write around an amount: a currency sign or word, spaces
_NOISE = re.compile(r"[\s¥元$]|RMB|CNY", re.IGNORECASE)
# commas as thousands separators only: 1,288.50 and 12,345,678 but not 1,5 (a decimal comma)
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


class NotPlainDigits(InvalidOperation, ValueError):
    """A number written with an underscore or another script's digits (:func:`number_text`), or
    an amount written the European way (:class:`DecimalComma`):
    an ``InvalidOperation`` as any text ``Decimal`` refuses, and a ``ValueError``, which pydantic
    names at its field."""


def number_text(raw: str) -> str:
    """A number as a person typed it, in the one spelling kehu reads: NFKC, so full-width digits
    (an IME left in full-width: １２３) are ASCII ones, as a typed birthday's are
    (``calendar.birthday_text``). Python's ``Decimal`` and ``int`` also read ``1_000`` and any
    script's digits (``١٢٣`` is 123, ``१२३`` too): taken so by ``--amount``, ``--qty``, the
    points of ``points redeem``, ``credit_limit=``, a sheet's cell and a hand edit, and shown
    nowhere as typed. They are refused here (:class:`NotPlainDigits`): every door's rule."""
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)  # (ASCII is its own NFKC)
    if "_" in text or not text.isascii() and any(c.isdecimal() and not c.isascii() for c in text):  # as Decimal
        raise NotPlainDigits(_("{value} is not a number kehu reads: expected the digits 0-9 (no '_', "
                               "no digits of another script)").format(value=repr(raw)))
    return text


# a comma before the last one or two digits (12,50; 1 234,5) or points between groups of three
# (1.234,56; 1.234.567): as much of Europe writes an amount, never a spelling of kehu's. One
# point before three digits (100.005, 0.001) is an amount finer than the fen, said so as it
# always was ("to the fen", exit 1): a slip of the fen far likelier in a shop than a thousand
_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d+|\d{1,3}(?:\.\d{3})+),\d{1,2}")
_POINT_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?")


class DecimalComma(NotPlainDigits):
    """An amount written as much of Europe writes one (:func:`amount_text`): a comma before the
    fen, points between thousands. Refused at every door, naming the amount it may mean."""


def _european_problem(raw: str, text: str) -> DecimalComma | None:
    """Why ``text`` (``raw`` without its noise) is refused as an amount written the European
    way, with the amount it may mean; None when it is not written so."""
    if not (_DECIMAL_COMMA.fullmatch(text) or _POINT_GROUPED.fullmatch(text)):
        return None
    meant = text.replace(".", "").replace(",", ".")
    return DecimalComma(_("{value} is not an amount kehu reads: it is written as much of Europe writes one (a comma "
                          "before the fen, points between thousands), and kehu reads a point before the fen and a "
                          "comma only between thousands: if {meant} is meant, write {meant}").format(
        value=repr(raw), meant=meant))


def amount_text(raw: str) -> str:
    """An amount as a person typed it (``¥1,288.50``, ``１２８８元``), as ``Decimal`` reads it.

    The one rule for every door that takes typed money (the CLI's options, a sheet's cell, the
    TUI's forms). A comma is taken away only where it separates thousands: each door took every
    comma away, so ``1,5`` (a decimal comma, as much of Europe writes 1.5) was stored as ¥15.00
    and ``1,50`` as ¥150.00 with exit 0. Any other comma is left, so the amount is refused."""
    text = _NOISE.sub("", number_text(raw))  # full-width digits, ，and ．; no other digits
    if "," in text and _GROUPED.fullmatch(text):
        return text.replace(",", "")
    if (european := _european_problem(raw, text)) is not None:
        # 12,50 and 1.234,56 were refused as "expected a number like 1,288.00": the sheet's
        # way of writing is named instead
        raise european
    return text


def typed_amount(raw: str) -> Decimal:
    """The amount a person typed (:func:`amount_text`), exactly as typed, ``-0`` as 0: the
    doors wrote ``Decimal(...) + 0`` for -0, which rounds to Decimal's 28 digits, so
    ``--amount 100.00999999999999999999999999999`` (a sheet's cell, the TUI's payment) was kept
    as ¥100.01, where a hand edit of the same digits is refused ("to the fen"). Raises what
    :func:`amount_text` and ``Decimal`` raise for no amount."""
    return unsigned_zero(Decimal(amount_text(raw)))


def unsigned_zero(amount: Decimal) -> Decimal:
    """``amount``, a zero without its sign (``-0.00`` is shown and written ``0.00``), never rounded."""
    return amount.copy_abs() if amount.is_zero() else amount


def amount_problem(amount: Decimal) -> str | None:
    """Why ``amount`` is no money kehu keeps (None: it is; the caller names the amount): the
    models' rule for ``Money`` (finite, at most 12 digits before the point and 2 after it), said for an amount
    a command is given before it reaches a model. ``purchase pay`` (CLI and TUI) rounded
    ``100.005`` to ¥100.00 that ``purchase add`` refused, and took ``nan``, ``inf`` or ``1e9999``
    typed into the TUI's payment form for a crash."""
    size = size_problem(amount)
    if size is not None:
        return size
    if amount != amount.quantize(CENT):
        return _("kehu keeps amounts to the fen, at most 2 digits after the point")
    return None


def size_problem(amount: Decimal) -> str | None:
    """Why ``amount`` is no number kehu keeps as money, whatever its places (None: it is one):
    not finite, or more than :data:`MONEY_DIGITS` digits before the point (``1e9999`` is
    finite). The part of :func:`amount_problem` the CLI's money option asks as it reads a
    typed amount (the places are the model's, said by money's rule: ``problems``)."""
    if not amount.is_finite():
        return _("expected a finite number")
    if amount and amount.adjusted() >= MONEY_DIGITS:  # 1e9999 is finite, and no amount
        return _("amounts have at most {digits} digits before the point").format(digits=MONEY_DIGITS)
    return None


def line_problem(qty: Decimal, price: Decimal) -> str | None:
    """Why a line of ``qty`` at ``price`` each is no sale (None: it is one): both more than
    nothing, yet the line's amount rounds to ¥0.00 at the fen. ``--qty 0.0000001 --price 10``
    was stored as a sale of ¥0.00 with exit 0. The models' rule for a line item, so every door
    (the CLI, the TUI's form, an import's row, a hand-edited file) says the same. A price of 0
    is a free item, no mistake."""
    if not qty or not price or (qty * price).quantize(CENT):
        return None
    # the least quantity whose line is a fen, rounded up to 3 significant digits: enough at
    # any price, and a number a person can type
    exact = CENT / abs(price)
    least = exact.quantize(Decimal(1).scaleb(exact.adjusted() - 2), rounding=ROUND_CEILING)
    return _("qty × price ({qty} × ¥{price}) rounds to ¥0.00: give a qty of at least {least} at this price, "
             "or a price of 0 for a free item").format(
        qty=f"{qty:f}", price=f"{price:.2f}", least=f"{least.normalize():f}")
