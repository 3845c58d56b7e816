"""The types of a record's fields and their validators: money, dates, phones, emails, yes/no.

Validation needs the store's default phone region, passed as pydantic context
(``store.validation_context()``, or :func:`region_context` without a store); without it CN is
assumed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticKnownError

from ..calendar import birthday_text, parse_solar, typed_lunar
from ..clock import day_range_problem, typed_day
from ..i18n import _
from ..keytext import composed
from ..money import NotPlainDigits, number_text, unsigned_zero
from .contacts import normalise_email, normalise_phone


def shows_something(text: str) -> bool:
    """Whether ``text`` shows anything: spaces and invisible format characters (a zero-width
    space, a direction mark) alone show nothing, and list as an empty row (a customer's name,
    an item's: one rule)."""
    if text[:1].isprintable() and not text[:1].isspace() and text:  # (a printable character is no Cf)
        return True
    return any(not c.isspace() and unicodedata.category(c) != "Cf" for c in text)


def check_birthday(value: str) -> str:
    """``YYYY-MM-DD``, or ``--MM-DD`` when the year is unknown (as vCard writes it); typed in
    full-width digits, kept in ASCII ones (``calendar.birthday_text``). A whole day is taken as
    every date option takes one (``clock.typed_day``: ``1990/5/1``, ``1990-5-1``) and kept as
    ``1990-05-01``: `customer add --birthday 1990/5/1` was refused while `--date 2026/11/1` and
    a sheet's `1990/5/1` were taken. Spaces and line breaks around it are dropped, as every date
    option and a sheet's cell drop them (`--birthday ' 1990-05-01'` was refused): what is kept is
    the day alone."""
    value = value.strip()
    day = typed_day(value)
    if day is not None:
        value = day.isoformat()
    parse_solar(value)  # the one parser, in kehu_core.calendar; raises ValueError saying why
    return birthday_text(value)


def check_lunar_birthday(value: str) -> str:
    """``MM-DD`` in the Chinese lunar calendar; ``闰MM-DD`` for a leap month; typed as people
    say it (``六月初八``, ``6-8``), kept as ``06-08`` (``calendar.typed_lunar``)."""
    return typed_lunar(value)  # the one parser, in kehu_core.calendar; raises ValueError saying why


def region_context(region: str) -> dict[str, Any]:
    """The validation context of a record in a store whose default phone region is ``region``
    (``Store.validation_context()`` for a store's): the one place its form is written, beside
    the one place it is read (:func:`_region`)."""
    return {"region": region}


def _region(info: ValidationInfo) -> str:
    return (info.context or {}).get("region", "CN")


def as_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value


def _plain_digits(value: Any) -> Any:
    """A number written as text (``amount: '١٢٣'``, ``qty: 1_000``: YAML 1.2 reads that as text)
    in the digits 0-9 alone, full-width ones read as these (``money.number_text``): pydantic's
    ``Decimal`` took any script's digits and underscores."""
    return number_text(value) if isinstance(value, str) else value


#: a number's digits first made plain, then counted: its constraints given before the
#: BeforeValidator, which wraps them, are pydantic-core's own (checked in Rust). Given after
#: it, pydantic counted each number's digits in Python, three functions a number (a third of
#: parsing the histories `kehu reminders` reads: 35 000 interactions, 0.8 -> 0.55 s); the
#: same numbers taken, the same errors for those refused.
_DIGITS = ("decimal_max_digits", "decimal_max_places", "decimal_whole_digits")


def _not_negative(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """``ge=0`` checked here, before the digits are counted, as pydantic checked it in Python:
    pydantic-core counts the digits first (a negative amount with too many digits was refused
    as negative) and says its bound as ``Decimal('0')``."""
    try:
        number = handler(value)
    except ValidationError as error:
        if error.error_count() == 1 and error.errors()[0]["type"] in _DIGITS:
            try:
                negative = Decimal(str(_plain_digits(value))) < 0
            except (ArithmeticError, ValueError):
                negative = False
            if negative:
                raise PydanticKnownError("greater_than_equal", {"ge": 0}) from None
        raise
    if number < 0:
        raise PydanticKnownError("greater_than_equal", {"ge": 0})
    # -0 (`amount: -0.0` by hand) is 0: it was kept, and shown as a sale of -0.00 by `customer
    # show`, the reports and the exports, where the CLI's `--amount -0` is stored as 0.00
    return unsigned_zero(number) if isinstance(number, Decimal) else number


Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2), BeforeValidator(_plain_digits)]
#: An amount of money that is never negative (a purchase, a price): a refund is a void.
Amount = Annotated[Decimal, Field(max_digits=14, decimal_places=2), BeforeValidator(_plain_digits),
                   WrapValidator(_not_negative)]
#: How many of an item: a finite number of at most 12 digits (``--qty 1e309`` is refused
#: here, not in the decimal arithmetic of every later total).
Quantity = Annotated[Decimal, Field(max_digits=12), BeforeValidator(_plain_digits)]


def _day_in_range(value: dt.date) -> dt.date:
    problem = day_range_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _written_as_a_day(value: Any) -> Any:
    """A date is written ``YYYY-MM-DD``: pydantic reads a number (``date: 0``, ``1699920000``,
    quoted or not) as seconds since 1970, so a hand-edited purchase dated ``0`` was a sale of
    1970-01-01 that ``kehu check`` called ok, where every command refuses such a date."""
    if isinstance(value, str) and _ISO_DAY.match(value.strip()) is None or (
            isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)):
        raise ValueError(_("{value} is no date; write it as YYYY-MM-DD").format(value=repr(value)))
    return value


#: A date kehu keeps: 1900-01-01 to 2199-12-31 (``kehu_core.clock.day_range_problem``),
#: written as one (:func:`_written_as_a_day`).
Day = Annotated[dt.date, BeforeValidator(_written_as_a_day), AfterValidator(_day_in_range)]


def _no_yes_or_no(value: Any) -> Any:
    """A count (days of payment terms, a rating) is a number: pydantic takes YAML's ``true`` for
    1, so a hand-edited ``payment_terms: true`` was one day's terms that ``kehu check`` called
    ok, where ``kehu customer set payment_terms=true`` refuses it."""
    if isinstance(value, bool):
        raise ValueError(_("{value} is yes or no, not a number").format(value=str(value).lower()))
    return value


#: A whole number of a record (never ``true``/``false`` read as 1/0: :func:`_no_yes_or_no`).
Whole = Annotated[int, BeforeValidator(_plain_digits), BeforeValidator(_no_yes_or_no)]  # 1_0 is no count


def numbers_as_written(annotation: Any, value: Any, loc: tuple[str | int, ...] = ()
                       ) -> tuple[Any, list[tuple[tuple[str | int, ...], str]]]:
    """``value`` (settings: kehu.yaml's, a plugin's ``settings_model``; a plugin's customer field)
    with each number read by the rule of every door's numbers, and what that rule refuses, each
    with its place below ``loc``. Where ``annotation`` wants a number (``int``, ``float``,
    ``Decimal``, not text too): a text is read by ``money.number_text`` (full-width digits as
    ASCII ones; ``1_000`` or ``١٢٣`` refused: pydantic's lax rule took both, so a setting
    ``referral_bonus: 1_000`` or a plugin's field ``shoe_size=1_000`` was 1000 where
    ``credit_limit=1_000`` is refused), and ``true``/``false`` is refused (:func:`_no_yes_or_no`:
    pydantic takes YAML's ``true`` for 1, so ``expiry_days: true`` was one day with ``kehu
    check`` ok). Models, mappings and lists are read inside. One rule for every setting and
    field of every model, a third party's too, rather than a validator on each field."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    return _numbers(annotation, value, loc, found), found


def _numbers(annotation: Any, value: Any, loc: tuple[str | int, ...],
             found: list[tuple[tuple[str | int, ...], str]]) -> Any:
    if isinstance(value, bool):
        if _number_not_flag(annotation):
            found.append((loc, _("{value} is yes or no, not a number").format(value=str(value).lower())))
        return value
    if isinstance(value, str):
        if _number_not_text(annotation):
            try:
                return number_text(value)
            except NotPlainDigits as exc:
                found.append((loc, str(exc)))
        return value
    if isinstance(value, dict):
        models = _models_in(annotation)
        if models:
            read = dict(value)
            for name, field in models[0].model_fields.items():
                key = field.alias or name
                if key in value:
                    read[key] = _numbers(field.annotation, value[key], (*loc, key), found)
            return read
        items = _items_of(annotation, (dict,), 1)
        if items is not None:
            return {key: _numbers(items, item, (*loc, key), found) for key, item in value.items()}
    if isinstance(value, list):
        items = _items_of(annotation, (list, set, frozenset, tuple), 0)
        if items is not None:
            return [_numbers(items, item, (*loc, n), found) for n, item in enumerate(value)]
    return value


def reads_numbers(annotation: Any, _asked: frozenset[Any] = frozenset()) -> bool:
    """Whether :func:`numbers_as_written` can read or refuse anything in a value of
    ``annotation`` (a number somewhere in it, as :func:`_numbers` looks); where not, it gives
    back every value as given, finding nothing. Worked out once for a plugin's field, when it is
    guarded (``plugins.field_types.guarded_fields``), not on each value of each profile read."""
    if _number_not_flag(annotation) or _number_not_text(annotation):
        return True
    models = _models_in(annotation)
    if models:  # (a model asked already, as its own field's type: its other fields answer)
        if models[0] not in _asked and any(reads_numbers(field.annotation, _asked | {models[0]})
                                           for field in models[0].model_fields.values()):
            return True
    else:
        values = _items_of(annotation, (dict,), 1)
        if values is not None and reads_numbers(values, _asked):
            return True
    items = _items_of(annotation, (list, set, frozenset, tuple), 0)
    return items is not None and reads_numbers(items, _asked)


def _kinds(annotation: Any) -> list[Any]:
    """The types a field's annotation allows (Optional, unions and Annotated opened)."""
    import types
    import typing

    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _kinds(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [kind for arg in typing.get_args(annotation) for kind in _kinds(arg)]
    if origin is typing.Literal:
        return [type(arg) for arg in typing.get_args(annotation)]
    return [annotation]


def _number_not_flag(annotation: Any) -> bool:
    kinds = _kinds(annotation)
    return any(k in (int, float) for k in kinds) and not any(k in (bool, Any, object) for k in kinds)


def _number_not_text(annotation: Any) -> bool:
    kinds = _kinds(annotation)
    return any(k in (int, float, Decimal) for k in kinds) and not any(k in (str, Any, object) for k in kinds)


def _items_of(annotation: Any, containers: tuple[type, ...], arg: int) -> Any:
    """The type of the items (``arg`` 0) or values (``arg`` 1 of a mapping) of the first of
    ``containers`` that ``annotation`` allows, or None."""
    import typing

    for kind in _kinds(annotation):
        args = typing.get_args(kind)
        if typing.get_origin(kind) in containers and len(args) > arg:
            return args[arg]
    return None


def _models_in(annotation: Any) -> list[Any]:
    from pydantic import BaseModel

    return [k for k in _kinds(annotation) if isinstance(k, type) and issubclass(k, BaseModel)]


TRUSTED = {"trusted": True}
"""Validation context for data kehu itself serialised from a validated model (the index):
phones and emails are already normalised, and re-parsing them cost ~190 µs a customer."""


INDEXED = {**TRUSTED, "indexed": True}
"""Validation context for what the index holds: kehu serialised it from a model that passed
every check, so neither its phones nor its nesting and control characters are checked again
(that check was a sixth of loading 10 000 customers and their histories from the index).
Not for a file's data, even one whose phones match the index (:data:`TRUSTED`)."""


def _composed(value: str, info: ValidationInfo) -> str:
    # a text found by equality is kept in one spelling (``keytext``): José typed two ways was
    # two reps, and an item's name two products of the products report
    if info.context and info.context.get("indexed"):
        return value  # composed when its file was read
    return composed(value)


COMPOSED = AfterValidator(_composed)
"""A text kehu groups or finds by equality (a tag, an owner, a level, a credit grade, an item's
name) in composed form (NFC), however it was typed; what the index holds is so already."""


def _trusted(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("trusted"))


def _phone_item(value: Any, info: ValidationInfo) -> str:
    return value if _trusted(info) else normalise_phone(value, _region(info))


def _email_item(value: Any, info: ValidationInfo) -> str:
    return value if _trusted(info) else normalise_email(value)


def _phone_text(value: Any) -> Any:
    """A phone written without quotes in YAML (``phones: [13912345678]``) is read as an
    integer; a number is not taken as a phone (``0571...`` or ``+86...`` would lose digits or
    be read as octal): the message says to quote it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # not "e.g. '{value}'": the number has lost what made it a phone (02012345678 is read
        # as 2012345678), and an example without the 0 was copied into the file as it was
        raise ValueError(_("a phone number is text: write it in quotes as you typed it, leading 0 or + "
                           "included (unquoted, it is read as the number {value})").format(value=value))
    return value


Phone = Annotated[str, BeforeValidator(_phone_text), AfterValidator(_phone_item)]

YES = ("true", "yes", "y", "on", "1", "是", "对", "t")
NO = ("false", "no", "n", "off", "0", "否", "不", "f")


def parse_flag(value: Any) -> bool:
    """A yes/no field as people write it: true/yes/1/on/是 or false/no/0/off/否 (any case);
    anything else is refused, naming what is understood. The one rule for ``customer set
    do_not_contact=no``, imports, a hand-edited file and a plugin's ``Flag`` field."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(_("{value} is not yes or no; write true/yes/1/on/是 or false/no/0/off/否").format(
        value=repr(value)))


Flag = Annotated[bool, BeforeValidator(parse_flag)]
Email = Annotated[str, AfterValidator(_email_item)]
