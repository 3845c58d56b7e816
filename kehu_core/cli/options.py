"""Option types shared by commands that must stay light to import (``kehu search``,
``kehu customer list``): click only, no models."""

from __future__ import annotations

import click

from ..i18n import _
from ..keytext import key_text
from ..paths import empty_path_problem
from .localize import _TranslatedName


class _Count(click.IntRange):
    """A whole number of things to show; "'x' is not a valid integer." as for any int option
    (in the user's language, as localize gives click's type names), not "integer range"."""

    name = _TranslatedName("integer")  # type: ignore[assignment]


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


def numbers_in_plain_digits() -> None:
    """Every number option and argument (click's int and float types: ``points redeem ID
    POINTS``, ``--rate``, ``--limit``, ``--days`` ...) read by the rule of every door's numbers
    (``money.number_text``): full-width digits as ASCII ones, an underscore or another script's
    digits refused naming the option (Python's ``int`` took ``1_000`` and ``١٢٣``)."""
    numbers = click.types._NumberParamTypeBase
    if getattr(numbers.convert, "_kehu", False):
        return
    convert = numbers.convert

    def plain_convert(self: click.types._NumberParamTypeBase, value: object,  # type: ignore[type-arg]
                      param: click.Parameter | None, ctx: click.Context | None) -> object:
        if isinstance(value, str):
            from ..money import NotPlainDigits, number_text

            try:
                value = number_text(value)
            except NotPlainDigits as exc:
                self.fail(str(exc), param, ctx)
        return convert(self, value, param, ctx)

    plain_convert._kehu = True  # type: ignore[attr-defined]
    numbers.convert = plain_convert  # type: ignore[method-assign]
