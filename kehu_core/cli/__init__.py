"""The ``kehu`` command line (see README "CLI reference" and shared/cli-contract.md).

Commands are thin: they parse arguments, call the store and the services, and print. Exit
codes: 0 success, 1 invalid data or a failed check, 2 usage error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from .. import __version__, i18n
from ..clock import ENV_TODAY, read_day
from ..errors import PLUGIN_LOGGER, KehuError, RecordError, os_error_text, shown_path
from ..i18n import _
from .collecting import collect_garbage_from_here, hold_collector
from .context import Context, emit_json, emit_json_list, pass_ctx, say_left_out, say_unread_records, warn
from .helpformat import KehuContext
from .language import language_chooser, set_lang
from .localize import HELP_OPTION_NAMES, localize, missing_said, show_error, use_kehu_catalog
from .options import Number, Whole, given_path, plain_numbers
from .oserrors import gone_working_folder, symlink_loop, unreadable

#: what plugins' commands use (``from kehu_core.cli import Context, pass_ctx ...``) and the
#: ``kehu`` command calls (kehu_core.__main__)
__all__ = ["Context", "Number", "Whole", "emit_json", "emit_json_list", "hold_collector", "pass_ctx", "say_left_out",
           "say_unread_records", "warn"]

# What a command needs is imported when it runs (the store, pydantic models, Rich, the
# services), so `kehu --version` and `kehu search` do not pay for `kehu report` or the TUI:
# tests/test_startup.py keeps the list of modules they must not import.


def _parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    # None: neither given nor set (click passes an empty KEHU_TODAY as unset). ``--today ""``
    # (``--today "$DAY"`` with DAY unset) is refused as every other date option's "" is: taken as
    # unset, the command ran at the system date, the one thing the user had said it should not.
    if value is None:
        return None
    day = read_day(value)
    if isinstance(day, dt.date):
        return day
    # Name where the day came from: a bad KEHU_TODAY in the shell's profile is not a
    # ``--today`` the user typed, and they would look for it on the command line.
    source = ctx.get_parameter_source(param.name or "today")
    raise click.BadParameter(day, param_hint=ENV_TODAY if source is ParameterSource.ENVIRONMENT else None)


class _Debug:
    """``kehu --debug``: tracebacks of errors and plugin failures (reset by every ``run``)."""

    on = False


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _Debug.on = True


class FailurePrinter(logging.Handler):
    """Plugin failures (the ``kehu.plugins`` logger) on stderr, once each, as
    ``kehu: plugin 'NAME' failed in HOOK: ...``; with ``--debug`` their tracebacks too."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"kehu: {record.getMessage()}", err=True)
        trace = getattr(getattr(record, "failure", None), "traceback", "")  # a PluginFailure's
        if _Debug.on and trace:
            click.echo(trace.rstrip("\n"), err=True)


_plugin_logger = logging.getLogger(PLUGIN_LOGGER)
if not any(isinstance(h, FailurePrinter) for h in _plugin_logger.handlers):
    _plugin_logger.addHandler(FailurePrinter())


#: Every built-in command: its name and the ``module:attribute`` (in this package) defining it.
#: A command's module is imported when the command runs (or ``kehu --help`` lists it), so a
#: command imports only what it uses; tests/test_startup.py checks this table against the
#: modules.
BUILTIN_COMMANDS: dict[str, str] = {
    "check": "store_cmds:check",
    "complaint": "complaint_cmds:complaint_group",
    "customer": "customers:customer_group",
    "duplicates": "customers:duplicates",
    "edit": "edit_cmds:edit",
    "export": "io_cmds:export_cmd",
    "git-setup": "git_cmds:git_setup",
    "handover": "git_cmds:handover",
    "import": "io_cmds:import_cmd",
    "init": "store_cmds:init",
    "interaction": "records:interaction_group",
    "keys": "keys_cmds:keys_group",
    "merge-file": "git_cmds:merge_file",
    "plugins": "store_cmds:plugins",
    "purchase": "records:purchase_group",
    "reindex": "store_cmds:reindex",
    "report": "report_cmds:report_group",
    "search": "customers:search",
    "segment": "send_cmds:segment_group",
    "send": "send_cmds:send",
    "serve": "serve_cmds:serve_cmd",
    "sync": "git_cmds:sync_cmd",
    "tui": "store_cmds:tui",
    "undo": "undo_cmds:undo",
    "visits": "visits_cmds:visits_group",
}


class KehuGroup(click.Group):
    """The ``kehu`` group: built-in commands from :data:`BUILTIN_COMMANDS`, imported on first
    use, and the plugins' commands (the ``register_commands`` hook of every installed plugin),
    asked for only when a command is not a built-in one or when all are listed (``--help``).
    A built-in command's name is kehu's: a plugin command of the same name is not used."""

    context_class = KehuContext  # help laid out by display width (Chinese is two columns a character)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plugin_commands_added = False

    def builtin(self, name: str) -> click.Command:
        module, attr = BUILTIN_COMMANDS[name].split(":")
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)  # type: ignore[no-any-return]

    def add_plugin_commands(self) -> None:
        """The installed plugins' ``register_commands`` (once; they are imported for it). kehu's
        own commands are all in :data:`BUILTIN_COMMANDS` (``tests/test_startup.py`` fails on one
        a module defines and the table lacks), so no module of this package is imported to ask."""
        if self.plugin_commands_added:
            return
        self.plugin_commands_added = True
        from ..config import PluginSettings
        from ..plugins import PluginHost
        from .plugin_commands import register_plugin_commands

        found = click.Group()
        register_plugin_commands(PluginHost(PluginSettings()), found, BUILTIN_COMMANDS)
        for name, command in found.commands.items():
            self.commands.setdefault(name, command)  # commands given before (``run``) win

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in BUILTIN_COMMANDS:
            return localize(plain_numbers(self.builtin(cmd_name)))
        if cmd_name not in self.commands:
            self.add_plugin_commands()
        command = self.commands.get(cmd_name)
        # a plugin's `type=int` option reads numbers as kehu's own do (cli.options.Whole, Number)
        return localize(plain_numbers(command)) if command is not None else None

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        localize(self)  # the root's own options (its commands are localized as they are looked up)
        super().format_help(ctx, formatter)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.add_plugin_commands()
        return sorted({*BUILTIN_COMMANDS, *self.commands})


@click.group(cls=KehuGroup, context_settings={"help_option_names": list(HELP_OPTION_NAMES)})
@click.option(
    # readable: said by the store's opening as a message, exit 1 (discovery.resolve_store_path)
    "--store", "store_path", type=given_path(readable=False), envvar="KEHU_STORE",
    help="The store folder (default: $KEHU_STORE, else the folder holding kehu.yaml here or "
         "above, else a copy of the demo store).",
)
@click.option(
    "--demo", is_flag=True,
    help="Work on a copy of the bundled demo store (a tea shop), whatever store is here.",
)
@click.option(
    "--today", "today", metavar="YYYY-MM-DD", envvar="KEHU_TODAY", callback=_parse_today,
    help="The day every command, plugin and report takes as today (default: $KEHU_TODAY, "
         "else `today:` in kehu.yaml, else the system date).",
)
@click.option(
    "--identity", "identity", type=given_path(dir_okay=False), envvar="KEHU_IDENTITY",
    help="Your age identity file (age-keygen's key.txt): opens the confidential fields encrypted "
         "to you (default: $KEHU_IDENTITY; see docs/confidential.md).",
)
@click.option(
    "--lang", metavar="LANG", is_eager=True, expose_value=False, callback=set_lang,
    help="The language of kehu's help, messages and TUI: zh_CN (中文) or en (default: $KEHU_LANG, "
         "else `language:` in kehu.yaml, else LANGUAGE, LC_ALL, LC_MESSAGES or LANG).",
)
@click.option(
    "--debug", is_flag=True, is_eager=True, expose_value=False, callback=_set_debug,
    help="Show the Python traceback of an error or a plugin failure (for bug reports).",
)
# not read from the metadata (quicker); the message given, so --version translates nothing
@click.version_option(__version__, package_name="kehu", message="%(prog)s, version %(version)s")
@click.pass_context
def cli(ctx: click.Context, store_path: Path | None, demo: bool, today: dt.date | None,
        identity: Path | None) -> None:
    """kehu (Chinese for “customer”): customer records as YAML files in git."""
    collect_garbage_from_here()
    if demo and store_path is not None:
        raise click.UsageError(_("--demo and --store (or KEHU_STORE) name two stores; give one"))
    extra = ctx.obj.get("extra_plugins") if isinstance(ctx.obj, dict) else None  # from run()
    if demo:
        from ..discovery import demo_working_copy

        store_path = demo_working_copy()
    ctx.obj = Context(store_path, today, extra, identity)


def run(argv: list[str] | None = None, *, extra_plugins: dict[str, Any] | None = None) -> int:
    """Run one kehu command; return its exit code (errors are printed, not raised).

    ``extra_plugins``: plugin objects (name -> module or object) to use besides the installed
    ones, their ``register_commands`` included, as ``open_store(..., extra_plugins=...)`` does;
    what :mod:`kehu_core.testing` passes for a plugin that is not installed."""
    _Debug.on = False
    from .argtext import not_utf8_problem, outputs_any_text, utf8_arguments

    argv = utf8_arguments(sys.argv[1:] if argv is None else list(argv))  # LC_ALL=C: 张三 as typed
    i18n.defer(language_chooser(argv))
    outputs_any_text()
    problem = not_utf8_problem(argv)
    if problem is not None:
        click.echo(f"kehu: {problem}", err=True)
        return 2
    group = cli
    if extra_plugins:  # their commands go on a copy of the command tree, for this run only
        import copy

        from ..config import PluginSettings
        from ..plugins import PluginHost
        from .plugin_commands import register_plugin_commands

        group = copy.copy(cli)
        group.commands = dict(cli.commands)
        register_plugin_commands(PluginHost(PluginSettings(), extra_plugins, discover=False), group,
                                 BUILTIN_COMMANDS)
    try:
        code = group.main(args=argv, prog_name="kehu", standalone_mode=False,
                          obj={"extra_plugins": extra_plugins} if extra_plugins else None)
    except click.exceptions.Abort:
        click.echo(_("aborted"), err=True)
        return 1
    except click.ClickException as error:
        _traceback(error)
        exc = missing_said(error)
        # what click quotes of the command line ("Got unexpected extra argument (b\nkehu: ok)")
        # shown by the rule of every kehu error: a line feed or ESC typed is said as \n, \x1b;
        # a group run without its command shows its help, kehu's own lines, as they are; a
        # plugin's own message of several lines keeps its lines, each escaped
        if not isinstance(exc, click.exceptions.NoArgsIsHelpError):
            exc.message = _shown_lines(exc) if _plugins_own(exc) else shown_path(exc.message)
        show_error(exc)
        return exc.exit_code
    except RecordError as exc:
        _traceback(exc)
        from .argtext import argument_of

        for problem in exc.problems:  # a value the user typed is named as the argument, not a file's line
            given = argument_of(problem.value, argv) if problem.loc else None
            if given is None and problem.loc and not os.path.lexists(problem.path):
                # a record the command was to write (`customer add --birthday 2030/1/1`): its
                # field, not a file never written
                click.echo(as_printed(f"kehu: {shown_path(problem.message)}"), err=True)
            elif given is None:
                click.echo(as_printed(problem.render()), err=True)
            elif given.endswith("="):  # FIELD=VALUE: the field is its name
                click.echo(as_printed(f"kehu: {shown_path(problem.message)}"), err=True)
            else:
                click.echo(as_printed(f"kehu: {given}: {shown_path(problem.reason or problem.message)}"), err=True)
        return 1
    except KehuError as exc:
        _traceback(exc)
        click.echo(as_printed(f"kehu: {exc}"), err=True)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BrokenPipeError:
        raise
    except OSError as exc:  # a folder that cannot be written, a file that vanished ...
        _traceback(exc)
        if (said := unreadable(exc)) is not None:  # as `kehu check` names it
            click.echo(as_printed(f"kehu: {said}"), err=True)
            return 1
        where = f"{shown_path(exc.filename)}: " if exc.filename else ""  # path first: `path: what`, escaped
        click.echo(f"kehu: {where or gone_working_folder(exc)}{os_error_text(exc)}", err=True)
        return 1
    except Exception as exc:  # a bug: one line, the traceback only with --debug
        said = _users_to_mend(exc)
        if said is None:
            return _internal_error(exc)
        _traceback(exc)
        click.echo(f"kehu: {said}", err=True)
        return 1
    finally:
        collect_garbage_from_here()  # `--help`, a usage error: ended before the group's callback
    return code if isinstance(code, int) else 0


def _plugins_own(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by a plugin's code (its command's ``raise click.UsageError``,
    ``ctx.fail``), not by click's parser nor kehu's own: the code that raised it, past click's
    ``fail`` helpers, is neither click's nor kehu_core's."""
    frames = [frame for frame, _line in traceback.walk_tb(exc.__traceback__)]
    for frame in reversed(frames):
        module = str(frame.f_globals.get("__name__", ""))
        if module.partition(".")[0] == "click" and frame.f_code.co_name == "fail":
            continue  # Context.fail, ParamType.fail: their caller's words
        return module.partition(".")[0] not in ("click", "kehu_core")
    return False


def _shown_lines(exc: click.ClickException) -> str:
    """A plugin's message of several lines, its lines kept, each escaped (a line's ESC as
    ``\\x1b``) as :meth:`KehuError.of_lines` keeps kehu's own; shown as one line by the rule for
    what click quotes of the command line, its lines ran together with ``\\n`` between them."""
    return "\n".join(shown_path(line) for line in exc.message.split("\n"))


def as_printed(message: str) -> str:
    """An error's message as printed: what others wrote that it quotes (a journal entry's author
    in "cannot undo #5 (…)", a file's name) shows its control characters as U+FFFD, never
    driving the terminal (``render.terminal_safe``; imported here, on the way out, as it is not light).
    Every command that prints a stored text as a problem or warning prints it so."""
    if message.isprintable():
        return message
    from .render import terminal_safe

    return terminal_safe(message)


def _users_to_mend(exc: Exception) -> str | None:
    """What to say of an error Python raises as no OSError though it is the user's to mend, not
    kehu's bug (None for a bug): a link that leads back to itself (``RuntimeError`` before Python
    3.13), a full disk met by the index (SQLite's error)."""
    if isinstance(exc, RuntimeError):
        return symlink_loop(exc)
    from ..index.connection import failure_text  # (on the way out: the index is not light)

    return failure_text(exc)


def _internal_error(exc: Exception) -> int:
    """A bug: one line, the traceback only with --debug."""
    if _Debug.on:
        _traceback(exc)
    else:
        click.echo("kehu: " + _("internal error: {error} (run with --debug for the traceback)").format(
            error=f"{type(exc).__name__}: {exc}"), err=True)
    return 1


def _traceback(exc: BaseException) -> None:
    """With ``--debug``: the traceback of ``exc`` on stderr."""
    if _Debug.on:
        click.echo("".join(traceback.format_exception(exc)).rstrip("\n"), err=True)


def main() -> None:
    try:
        code = run()
    except BrokenPipeError:
        os._exit(0)
    code = _output_written(code)
    _not_waiting_for_plugin_threads(code)
    sys.exit(code)


def _output_written(code: int) -> int:
    """``code``, or 1 when what the command printed could not all be written (``kehu customer
    list > list.txt`` on a full disk): said on stderr, as any OS error is, where a Python
    traceback and exit 120 were; the output is cut short, which the user is told."""
    from .argtext import output_failure

    failure = output_failure()
    if failure is None:
        return code
    click.echo(_("kehu: the standard output could not be written: {error}; what was printed is cut short").format(
        error=os_error_text(failure)), err=True)
    return code or 1


def _not_waiting_for_plugin_threads(code: int) -> None:
    """End the process now if a plugin left threads running: Python would wait for them at
    exit, and a command whose plugin started a worker that never stops never ended (its output
    printed, the shell waiting). The command is done and its files written; the plugin is named
    by its threads."""
    from ..plugin_code import threads_left_running

    left = threads_left_running()
    if not left:
        return
    click.echo(_("kehu: a plugin left {count} thread(s) running ({names}); kehu does not wait for them").format(
        count=len(left), names=", ".join(left)), err=True)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


use_kehu_catalog()  # after the root group is built: its decorators translate nothing at import
