"""Click in the user's language.

A command's help is written in English in the code (its docstring, ``help=``); that text is
the message id. Click builds commands when their module is imported, before kehu knows the
language, so :func:`localize` translates a command tree when it is looked up: the help, short
help and epilog of each command and the help of each option, from the English text kept aside
(so a later change of language translates again, and the English is never lost).

Click's own words ("Usage:", "Options:", its error messages) go through ``gettext.gettext`` in
its modules; :func:`use_kehu_catalog` points them at kehu's catalog, which carries their
translations too (scripts/translations.py extracts them from click's sources).
"""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Iterator

import click

from .. import i18n
from .helpformat import RANGE_VALUE, KehuContext  # noqa: F401 (RANGE_VALUE: options' too)

_SOURCE = "_kehu_english"  # attribute holding a command's or option's English texts
_LANG = "_kehu_language"  # the language a command's texts are in


def help_id(text: str | None) -> str | None:
    """The message id of a help text: as click shows it (dedented, up to a ``\\f``)."""
    if not text:
        return None
    return inspect.cleandoc(text).partition("\f")[0].strip() or None


def first_sentence(text: str) -> str:
    """The first sentence of a translated help (for the list of commands): up to the first
    。 or ；, and when that is still long, up to a ： (click cuts at spaces; Chinese has none)."""
    paragraph = " ".join(text.split("\n\n")[0].split())
    cuts = [i for i in (paragraph.find("。"), paragraph.find("；")) if i > 0]
    sentence = paragraph[:min(cuts)] if cuts else paragraph
    colon = sentence.find("：")
    if len(sentence) > 40 and colon >= 6:
        sentence = sentence[:colon]
    return sentence


def _english(obj: object, fields: tuple[str, ...]) -> dict[str, str | None]:
    """The English texts of ``fields`` of ``obj``, kept aside the first time they are asked."""
    source = obj.__dict__.setdefault(_SOURCE, {})
    for field in fields:
        if field not in source:
            source[field] = help_id(getattr(obj, field, None))
    return {f: source[f] for f in fields}


def _translated(text: str | None) -> str | None:
    return i18n._(text) if text else text


def localize(command: click.Command) -> click.Command:
    """``command`` and its subcommands with their texts in the current language."""
    language = i18n.language()
    if command.__dict__.get(_LANG) == language:
        return command
    if command.add_help_option:  # click's --help, its words made in the language of its day
        _own_help_option(command)
    english = _english(command, ("help", "short_help", "epilog"))
    for field, text in english.items():
        setattr(command, field, _translated(text))
    if english["short_help"] is None and command.help and command.help != english["help"]:
        # click shortens a help to its first words at spaces; Chinese has none between words
        command.short_help = first_sentence(command.help)
    for param in command.params:
        if isinstance(param, click.Option):
            param.help = _translated(_english(param, ("help",))["help"])
            if isinstance(param.show_default, str):  # words for people ("manual override"), not a value
                param.show_default = _translated(_english(param, ("show_default",))["show_default"])
        _localize_metavar(command, param)
    command.options_metavar = _translated(_english(command, ("options_metavar",))["options_metavar"])
    if isinstance(command, click.Group):
        command.subcommand_metavar = _translated(
            _english(command, ("subcommand_metavar",))["subcommand_metavar"])
    if command.context_class is click.Context:
        command.context_class = KehuContext  # help measured by display width (helpformat)
    command.__dict__[_LANG] = language
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localize(sub)
    return command


#: the names of every kehu command's help option (the root group's ``help_option_names``)
HELP_OPTION_NAMES = ("-h", "--help")

#: the help option's words, click's (so its translation is click's in kehu's catalog)
_HELP_WORDS = i18n.N_("Show this message and exit.")


def _show_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


def _own_help_option(command: click.Command) -> None:
    """``command``'s help option as an option of its own, not click's: click makes its help
    option once, its words in the language of that moment, and keeps it where no public means
    reaches; kehu's is translated as every option is (:func:`localize`), in whatever language.
    The same names as click's (those no other option of the command has) and the same words,
    after the command's other options, as click shows its own."""
    command.add_help_option = False
    names = command.context_settings.get("help_option_names", HELP_OPTION_NAMES)
    taken = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
    names = [name for name in names if name not in taken]
    if names:
        command.params.append(click.Option([*names, _HELP_NAME], is_flag=True, expose_value=False,
                                           is_eager=True, help=_HELP_WORDS, callback=_show_help))


_HELP_NAME = "_kehu_help"


def is_help_option(param: click.Parameter) -> bool:
    """Whether ``param`` is kehu's help option of a command (:func:`_own_help_option`), which
    the reference leaves out as it left out click's."""
    return param.name == _HELP_NAME


def show_error(exc: click.ClickException) -> None:
    """``exc`` on stderr as click shows it (``UsageError.show``: the usage, "Try 'kehu ... --help'
    for help." and "Error: ..."), the hint naming kehu's own help option, which click's
    ``show`` does not know (it asks for click's); any other error by its own ``show``."""
    ctx = exc.ctx if isinstance(exc, click.UsageError) else None
    if ctx is None or type(exc).show is not click.UsageError.show:  # a group's help, a plain error
        exc.show()
        return
    helper = ctx.command.get_help_option(ctx) or next(
        (param for param in ctx.command.params if is_help_option(param)), None)
    hint = ""
    if helper is not None:  # the longest name (--help over -h), as click says it
        hint = i18n._("Try '{command} {option}' for help.").format(command=ctx.command_path,
                                                               option=max(helper.opts, key=len)) + "\n"
    click.echo(f"{ctx.get_usage()}\n{hint}", err=True, color=ctx.color)
    click.echo(i18n._("Error: {message}").format(message=exc.format_message()), err=True, color=ctx.color)


_METAVAR = "_kehu_metavar"  # a parameter's metavar as click makes it in English, and its word


def _english_metavar(command: click.Command, param: click.Parameter) -> tuple[str, str] | None:
    """(the metavar click shows, the placeholder word in it) of ``param`` in English: ``TEXT``,
    ``[CUSTOMER_ID]...``; None when click shows none or the allowed values (``[name|id]``),
    which a user types as they are."""
    if _METAVAR not in param.__dict__:
        found = None
        if not (isinstance(param, click.Option) and param.is_flag) and not getattr(param, "hidden", False):
            found = _english_pair(command, param)
        param.__dict__[_METAVAR] = found
    return param.__dict__[_METAVAR]


def _english_pair(command: click.Command, param: click.Parameter) -> tuple[str, str] | None:
    # in English whatever the language now: a type's name is translated where it is read
    # (TranslatedName), and the pair is kept for every later language
    with i18n.speaking("en"):
        kept = param.type
        if isinstance(kept, click.Path):  # its name was said when it was made (文件 if in Chinese)
            english = copy.copy(kept)
            english.name = click.Path(file_okay=kept.file_okay, dir_okay=kept.dir_okay).name
            param.type = english
        try:
            ctx = click.Context(command)
            word = param.metavar or param.type.get_metavar(param=param, ctx=ctx)
            if word is None:
                word = (english_name(param.type) if isinstance(param, click.Option) else param.name or "").upper()
            if word and not word.startswith("["):
                return param.make_metavar(ctx), word
        finally:
            param.type = kept
    return None


def _localize_metavar(command: click.Command, param: click.Parameter) -> None:
    """The placeholder of an option's value or an argument in the user's language (GNU's tools
    do the same: ``用法：ls [选项]... [文件]...``), kept in click's brackets and dots."""
    english = _english_metavar(command, param)
    if english is not None:
        shown, word = english
        param.metavar = shown.replace(word, i18n._(word), 1)


def english_texts(command: click.Command) -> Iterator[str]:
    """Every English help text of ``command`` and its subcommands (for the catalog)."""
    for field, text in _english(command, ("help", "short_help", "epilog")).items():
        del field
        if text:
            yield text
    for field in ("options_metavar", "subcommand_metavar"):
        text = _english(command, (field,)).get(field) if hasattr(command, field) else None
        if text:
            yield text
    for param in command.params:
        if isinstance(param, click.Option):
            text = _english(param, ("help",))["help"]
            if text:
                yield text
            shown = _english(param, ("show_default",))["show_default"] if isinstance(param.show_default, str) else None
            if shown:
                yield shown
        metavar = _english_metavar(command, param)
        if metavar is not None:
            yield metavar[1]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from english_texts(sub)


class TranslatedName:
    """A click type's ``name`` in the user's language, read on the type's instances (click says
    "'x' is not a valid integer." with the name; its class still gives the English). Set as the
    ``name`` of kehu's own click types (:mod:`.options`), so :func:`english_name` finds the English."""

    def __init__(self, english: str) -> None:
        self.english = english

    def __get__(self, obj: object, owner: type | None = None) -> str:
        return self.english if obj is None else i18n._(self.english)


def english_name(param_type: click.ParamType) -> str:
    """A click type's name in English (the metavar's message id)."""
    for cls in type(param_type).__mro__:
        found = cls.__dict__.get("name")
        if isinstance(found, TranslatedName):
            return found.english
        if isinstance(found, str):
            break
    return param_type.name


#: words click translates with a variable (``_(extra["required"])``), so the extractor misses them
CLICK_WORDS = (i18n.N_("required"),)


#: click's modules that translate their words with ``gettext.gettext``
CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils")


def use_kehu_catalog() -> None:
    """Click's own words through kehu's catalog (and its language) rather than the stdlib's
    global gettext domain, which knows neither."""
    import importlib

    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = i18n._  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = i18n.ngettext  # type: ignore[attr-defined]
    # click's number types keep their names and their range (``1<=x<=5``), and the full stop
    # after a missing parameter, for any other program in the process: kehu's own number types
    # (``options.Whole``, ``Number``, which every number option of kehu and of a plugin run by
    # kehu is: ``options.plain_numbers``) have their names in the user's language and say their
    # range in it (``options.range_text``, and kehu's help formatter), and kehu's handler of
    # click's errors (``cli.run``) says a missing parameter (:func:`missing_said`)


def missing_said(exc: click.ClickException) -> click.ClickException:
    """``exc`` as kehu shows it: click's "Missing option '--name'." ends with 。 in Chinese (a
    usage error of the same words and context); any other error as it is."""
    if not isinstance(exc, click.MissingParameter) or not i18n.is_chinese():
        return exc
    return click.UsageError(chinese_stop(exc.format_message()), exc.ctx)


#: the full stop click writes after the name of a missing parameter ("缺少参数 '客户ID'.")
_HINT_STOP = re.compile(r"(?<=['\"])\.(?: |$)")


def chinese_stop(message: str) -> str:
    """Click's "Missing option '--name'." in Chinese ends with 。: click puts the ASCII full
    stop in the code (``MissingParameter.format_message``), outside the translated words."""
    if not i18n.is_chinese():
        return message
    return _HINT_STOP.sub("。", message, count=1)
