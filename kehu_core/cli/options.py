"""Option types shared by commands that must stay light to import (``kehu search``,
``kehu customer list``): click only, no models."""

from __future__ import annotations

from typing import ClassVar, Self

import click

from ..i18n import N_, _
from ..keytext import key_text
from ..paths import empty_path_problem, typed_path
from .localize import RANGE_VALUE, TranslatedName


def _plain(param_type: click.ParamType, value: object, param: click.Parameter | None,
           ctx: click.Context | None) -> object:
    """A number typed as text read by the rule of every door's numbers (``money.number_text``):
    full-width digits as ASCII ones; an underscore or another script's digits refused naming the
    option (Python's ``int`` and ``float`` took ``1_000`` and ``١٢٣``)."""
    if not isinstance(value, str):
        return value
    from ..money import NotPlainDigits, number_text

    try:
        return number_text(value)
    except NotPlainDigits as exc:
        param_type.fail(str(exc), param, ctx)


def _within(bounded: click.IntRange | click.FloatRange, number: float, param: click.Parameter | None,
            ctx: click.Context | None, parent: type[click.ParamType]) -> object:
    """``number`` if it is within ``bounded``'s bounds, refused in kehu's words ("-1 is not in
    the range 0<=x<=5", in Chinese ``0<=数值<=5``: :func:`range_text`) if not; then as click's
    range (``parent``) gives it (clamped, if it clamps). Asks only click's public attributes of
    a range (``min``, ``max``, ``min_open``, ``max_open``, ``clamp``): nothing private of
    click's. The help's ``[0<=x<=5]`` is click's; kehu's help formatter says its letter in
    Chinese (``helpformat.WideHelpFormatter``)."""
    low, high = bounded.min, bounded.max
    below = low is not None and (number <= low if bounded.min_open else number < low)
    above = high is not None and (number >= high if bounded.max_open else number > high)
    if (below or above) and not bounded.clamp:
        bounded.fail(_("{value} is not in the range {range}.").format(value=number, range=range_text(bounded)),
                     param, ctx)
    return parent.convert(bounded, number, param, ctx)


def range_text(bounded: click.IntRange | click.FloatRange) -> str:
    """``1<=x<=5``, ``x>=0``, ``0<x`` of a number type's bounds (as click writes them), its value's
    letter in the user's language; "" without bounds."""
    value = _(RANGE_VALUE)
    if bounded.min is None and bounded.max is None:
        return ""
    if bounded.max is None:
        return f"{value}{'>' if bounded.min_open else '>='}{bounded.min}"
    high = f"{'<' if bounded.max_open else '<='}{bounded.max}"
    if bounded.min is None:
        return f"{value}{high}"
    return f"{bounded.min}{'<' if bounded.min_open else '<='}{value}{high}"


class _PlainNumber(click.ParamType):
    """What :class:`Whole` and :class:`Number` share, parameterised by the kind of number as
    click's own number types are (``IntParamType`` and ``IntRange`` for a whole number,
    ``FloatParamType`` and ``FloatRange`` for one with a fraction), through their public names
    only: a number read by kehu's rule of numbers (:func:`_plain`), then as click's type of that
    kind reads it; made with bounds, one of click's range of that kind (:attr:`bounded`), whose
    help shows its range (one without is none: click's help said ``[x<=None]`` of a range
    without bounds) and whose refusal is said in kehu's words (:func:`_within`)."""

    #: click's type of this kind of number (``click.types.IntParamType``), which reads the text
    click_type: ClassVar[type[click.ParamType]]
    #: click's range of this kind (``click.IntRange``)
    click_range: ClassVar[type[click.IntRange] | type[click.FloatRange]]
    #: kehu's type of this kind with bounds, what ``Whole(1, 5)`` makes (a ``click_range`` too)
    bounded: ClassVar[type[_PlainNumber]]

    def __new__(cls, min: float | None = None, max: float | None = None, *args: object,
                **kwargs: object) -> Self:
        if (min is not None or max is not None) and not issubclass(cls, cls.click_range):
            cls = cls.bounded  # type: ignore[assignment]
        return super().__new__(cls)

    def __init__(self, min: float | None = None, max: float | None = None, min_open: bool = False,
                 max_open: bool = False, clamp: bool = False) -> None:
        if isinstance(self, self.click_range):
            self.click_range.__init__(self, min, max, min_open, max_open, clamp)  # type: ignore[arg-type]

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        number = self.click_type.convert(self, _plain(self, value, param, ctx), param, ctx)
        if isinstance(self, self.click_range):
            return _within(self, number, param, ctx, self.click_range)
        return number


class Whole(_PlainNumber, click.types.IntParamType):
    """A whole number option or argument, read by kehu's rule of numbers (:func:`_plain`), then
    as ``click.INT`` (``click.IntRange`` with bounds) reads it: ``Whole()``, ``Whole(min=1)``,
    ``Whole(1, 5)``. What kehu's commands and the built-in plugins' take; a plugin's
    ``type=int`` or ``click.IntRange`` option is read as one when kehu runs it
    (:func:`plain_numbers`). One with bounds is a ``click.IntRange`` (click's help shows its
    range); one without is none (click's help said ``[x<=None]`` of a range without bounds)."""

    name = TranslatedName(N_("integer"))  # type: ignore[assignment]
    click_type = click.types.IntParamType
    click_range = click.IntRange


class _WholeRange(Whole, click.IntRange):
    """A :class:`Whole` with bounds."""


class Number(_PlainNumber, click.types.FloatParamType):
    """A number option or argument that may have a fraction (``--rate 1.5``), read by kehu's
    rule of numbers (:func:`_plain`), then as ``click.FLOAT`` (``click.FloatRange`` with
    bounds) reads it: ``Number()``, ``Number(min=0)``. A plugin's ``type=float`` or
    ``click.FloatRange`` is read as one."""

    name = TranslatedName(N_("float"))  # type: ignore[assignment]
    click_type = click.types.FloatParamType
    click_range = click.FloatRange


class _NumberRange(Number, click.FloatRange):
    """A :class:`Number` with bounds."""


Whole.bounded, Number.bounded = _WholeRange, _NumberRange


def _as_kehus(param_type: click.ParamType) -> click.ParamType:
    """click's own number type ``param_type`` as kehu's of its kind (its bounds kept), a tuple's
    each; any other as it is."""
    if isinstance(param_type, _PlainNumber):
        return param_type
    for kind in (Whole, Number):
        if isinstance(param_type, kind.click_range):
            return kind(param_type.min, param_type.max, min_open=param_type.min_open,
                        max_open=param_type.max_open, clamp=param_type.clamp)
        if isinstance(param_type, kind.click_type):
            return kind()
    if isinstance(param_type, click.Tuple):  # `type=(int, float)`: each of its numbers so
        return click.Tuple([_as_kehus(kind) for kind in param_type.types])
    return param_type


_PLAIN = "_kehu_plain_numbers"


def plain_numbers(command: click.Command) -> click.Command:
    """``command`` and its subcommands with every number option and argument of click's own
    types (``type=int``, ``type=float``, ``click.IntRange``, one inferred from ``default=7``) of
    kehu's (:class:`Whole`, :class:`Number`): a plugin's commands read numbers as kehu's do,
    and click is left as it is for any other program in the process."""
    if command.__dict__.get(_PLAIN):
        return command
    for param in command.params:
        param.type = _as_kehus(param.type)
    command.__dict__[_PLAIN] = True
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            plain_numbers(sub)
    return command


class _Count(_WholeRange):
    """A whole number of things to show; "'x' is not a valid integer." as for any int option
    (in the user's language, as localize gives click's type names), not "integer range"."""


#: how many to show (--limit, --customers, --items, --show): never negative (a slice [:-1]
#: dropped the last row silently, SQL LIMIT -1 is no limit), never more than an index can count
COUNT = _Count(min=0, max=1_000_000_000)


class _Rep(click.ParamType):
    """A rep's name to filter by (``--owner``), taken off its spaces as every door that stores an
    owner takes them off: `customer list --owner " 王芳 "` (a paste) listed nobody, where
    `customer add --owner " 王芳 "` and `visits plan --owner " 王芳 "` took 王芳."""

    name = TranslatedName("text")

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        if not isinstance(value, str):
            return value
        if not value.strip():  # `--owner "$REP"` with REP unset: `customer list`, `reminders` and the
            # reports took it for no filter (everyone's customers), `complaint list` for an owner of
            # nobody ("no complaints"), each with exit 0; `handover ""` is refused already
            self.fail(_("{value}: expected a rep's name (an empty one names no rep)").format(value=repr(value)),
                      param, ctx)
        return key_text(value)


#: the type of every ``--owner`` that filters by a rep (lists, reports, reminders)
REP = _Rep()


class _Key(click.ParamType):
    """A tag or a level to filter by (``--tag``, ``--level``), spelt as the record stores it
    (``keytext``): `--tag " VIP"` or a decomposed `café` found nobody."""

    name = TranslatedName("text")

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        return key_text(value) if isinstance(value, str) else value


#: the type of ``--tag`` and ``--level`` where they filter
KEY = _Key()


class TypedPath(click.Path):
    """A path given on the command line, named as this process names files
    (:func:`kehu_core.paths.typed_path`): under ``LC_ALL=C`` with ``PYTHONUTF8=0`` a new file
    named in Chinese (`kehu export --format csv 客户.csv`) ended in "internal error:
    UnicodeEncodeError" once the arguments were read as the UTF-8 they are."""

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        return super().convert(typed_path(value) if isinstance(value, str) else value, param, ctx)


class _FolderOrFile(TypedPath):
    """A path given on the command line that is never empty: `--store "$STORE"` or `kehu init
    "$DIR"` with the variable unset passed "", which a path reads as the current folder (a
    store made, or worked on, in whatever folder the script ran in, exit 0)."""

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        message = empty_path_problem(value) if isinstance(value, str) else None
        if message is not None:
            from click.core import ParameterSource

            if (ctx is not None and param is not None and isinstance(param.envvar, str) and param.name
                    and ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT):
                raise click.BadParameter(message, ctx, param_hint=param.envvar)  # KEHU_STORE, as it was set
            self.fail(message, param, ctx)
        return super().convert(value, param, ctx)


def given_path(**kwargs: object) -> click.Path:
    """``click.Path(path_type=Path, **kwargs)`` that refuses an empty text (:class:`_FolderOrFile`);
    ``path_type=None``: the text as typed (an export's target, whose trailing / means a folder)."""
    from pathlib import Path

    kwargs.setdefault("path_type", Path)
    return _FolderOrFile(**kwargs)  # type: ignore[arg-type]
