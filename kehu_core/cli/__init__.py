"""The ``kehu`` command line (see README "CLI reference" and shared/cli-contract.md).

Commands are thin: they parse arguments, call the store and the services, and print. Exit
codes: 0 success, 1 invalid data or a failed check, 2 usage error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..clock import parse_day
from ..config import PluginSettings
from ..errors import KehuError, RecordError
from ..plugins import PluginHost
from ..store import Store, open_store


def default_store_path() -> Path:
    """The bundled demo store: ``records/`` beside the sources, or the installed copy."""
    source_tree = Path(__file__).resolve().parents[2] / "records"
    if (source_tree / "kehu.yaml").is_file():
        return source_tree
    import importlib.util

    spec = importlib.util.find_spec("kehu_records")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "kehu.yaml").is_file():
            return Path(location)
    raise KehuError("the bundled demo store is missing; pass --store PATH or set KEHU_STORE")


class Context:
    """What every command gets: the store path, opened on first use."""

    def __init__(self, store_path: Path | None, today: dt.date | None = None):
        self._store_path = store_path
        self._today = today
        self._store: Store | None = None

    @property
    def store_path(self) -> Path:
        return self._store_path or default_store_path()

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.store_path, today=self._today)
        return self._store

    def at(self, day: dt.date | None) -> dt.date:
        """A command's own ``--today``/``--as-of``: the store works at that day for the whole
        command (plugins, reminders and reports alike); without it, the store's day."""
        if day is not None:
            self._today = day
            if self._store is not None:
                self._store.today = day
        return self.store.today


pass_ctx = click.make_pass_decorator(Context)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def warn(message: str) -> None:
    click.echo(f"kehu: {message}", err=True)


def _parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return parse_day(value)
    except KehuError as exc:
        raise click.BadParameter(str(exc).split(": ", 1)[-1]) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store", "store_path", type=click.Path(path_type=Path), envvar="KEHU_STORE",
    help="The store folder (default: $KEHU_STORE, else the bundled demo store).",
)
@click.option(
    "--today", "today", metavar="YYYY-MM-DD", envvar="KEHU_TODAY", callback=_parse_today,
    help="The day every command, plugin and report takes as today (default: $KEHU_TODAY, "
         "else `today:` in kehu.yaml, else the system date).",
)
@click.version_option(package_name="kehu")
@click.pass_context
def cli(ctx: click.Context, store_path: Path | None, today: dt.date | None) -> None:
    """kehu (客户): customer records as YAML files in git."""
    ctx.obj = Context(store_path, today)


def _register_builtin_commands() -> None:
    """Every module of this package with a ``register(cli)`` function adds its commands."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(cli)
    host = PluginHost(PluginSettings())
    host.call("register_commands", cli=cli)


_register_builtin_commands()


def run(argv: list[str] | None = None) -> int:
    """Run one kehu command; return its exit code (errors are printed, not raised)."""
    try:
        code = cli.main(args=argv, prog_name="kehu", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except RecordError as exc:
        for problem in exc.problems:
            click.echo(problem.render(), err=True)
        return 1
    except KehuError as exc:
        click.echo(f"kehu: {exc}", err=True)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code if isinstance(code, int) else 0


def main() -> None:
    try:
        sys.exit(run())
    except BrokenPipeError:
        os._exit(0)
