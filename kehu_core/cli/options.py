"""Option types shared by commands that must stay light to import (``kehu search``,
``kehu customer list``): click only, no models."""

from __future__ import annotations

import click

from ..i18n import _
from ..keytext import key_text
from ..paths import empty_path_problem
from .localize import RANGE_VALUE, _TranslatedName


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


class _Bounded:
    """A number type's bounds in help and in its refusal (``[1<=x<=5]``, in Chinese
    ``[1<=数值<=5]``: the value's letter in the user's language); none when it has none (click
    wrote ``[x<=None]`` of an ``IntRange`` without bounds). click has no public means of saying
    a range otherwise: its help and its refusal both ask the type's ``_describe_range``, which
    kehu's own types give, click's own left as they are."""

    min: object
    max: object

    def _describe_range(self) -> str:
        if self.min is None and self.max is None:
            return ""
        return super()._describe_range().replace("x", _(RANGE_VALUE), 1)  # type: ignore[misc]


class Whole(_Bounded, click.IntRange):
    """A whole number option or argument, read by kehu's rule of numbers (:func:`_plain`), then
    as ``click.IntRange`` reads it: ``Whole()``, ``Whole(min=1)``, ``Whole(1, 5)``. What kehu's
    commands and the built-in plugins' take; a plugin's ``type=int`` or ``click.IntRange``
    option is read as one when kehu runs it (:func:`plain_numbers`)."""

    name = _TranslatedName("integer")  # type: ignore[assignment]

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        return super().convert(_plain(self, value, param, ctx), param, ctx)


class Number(_Bounded, click.FloatRange):
    """A number option or argument that may have a fraction (``--rate 1.5``), read by kehu's
    rule of numbers (:func:`_plain`), then as ``click.FloatRange`` reads it: ``Number()``,
    ``Number(min=0)``. A plugin's ``type=float`` or ``click.FloatRange`` is read as one."""

    name = _TranslatedName("float")  # type: ignore[assignment]

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        return super().convert(_plain(self, value, param, ctx), param, ctx)


def _as_kehus(param_type: click.ParamType) -> click.ParamType:
    """click's own number type ``param_type`` as kehu's (its bounds kept), a tuple's each; any other
    as it is."""
    if isinstance(param_type, (Whole, Number)):
        return param_type
    if isinstance(param_type, (click.IntRange, click.FloatRange)):
        kind = Whole if isinstance(param_type, click.IntRange) else Number
        return kind(param_type.min, param_type.max, min_open=param_type.min_open,
                    max_open=param_type.max_open, clamp=param_type.clamp)
    if isinstance(param_type, click.types.IntParamType):
        return Whole()
    if isinstance(param_type, click.types.FloatParamType):
        return Number()
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


class _Count(Whole):
    """A whole number of things to show; "'x' is not a valid integer." as for any int option
    (in the user's language, as localize gives click's type names), not "integer range"."""


#: how many to show (--limit, --customers, --items, --show): never negative (a slice [:-1]
#: dropped the last row silently, SQL LIMIT -1 is no limit), never more than an index can count
COUNT = _Count(min=0, max=1_000_000_000)


class _Rep(click.ParamType):
    """A rep's name to filter by (``--owner``), taken off its spaces as every door that stores an
    owner takes them off: `customer list --owner " 王芳 "` (a paste) listed nobody, where
    `customer add --owner " 王芳 "` and `visits plan --owner " 王芳 "` took 王芳."""

    name = _TranslatedName("text")

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

    name = _TranslatedName("text")

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        return key_text(value) if isinstance(value, str) else value


#: the type of ``--tag`` and ``--level`` where they filter
KEY = _Key()


class _FolderOrFile(click.Path):
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
