"""``kehu undo`` and ``kehu undo --list``; :func:`journal_command`, which makes each command's
writes one entry of the change journal (kehu_core.journal)."""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING, Any

import click

from ..i18n import _
from . import Context, emit_json, pass_ctx  # the package, not .context: Context.store calls journal_command
from .options import COUNT
from .render import terminal_safe

if TYPE_CHECKING:
    from ..store import Store

#: Commands that are sessions rather than one change: their writes are not journaled.
NOT_JOURNALED = frozenset({"tui", "serve"})


def command_line(ctx: click.Context, secret: frozenset[str] = frozenset()) -> str:
    """What the person ran, from the parsed parameters: ``kehu purchase add c1 --amount 5``
    (global options such as --store left out). ``secret``: confidential fields, whose
    ``FIELD=VALUE`` is written ``FIELD=🔒`` (the journal in .kehu/ never holds them in plain)."""
    parts = [ctx.command_path]
    if secret:
        pattern = re.compile(rf"^(\s*(?:{'|'.join(map(re.escape, secret))})\s*[+-]?=).*$", re.S)

        def hide(v: object) -> object:
            return pattern.sub(r"\1🔒", v) if isinstance(v, str) else v
    else:
        def hide(v: object) -> object:
            return v
    options = []
    for param in ctx.command.params:
        if param.name is None or param.name not in ctx.params:
            continue
        value = ctx.params[param.name]
        if isinstance(param, click.Argument):
            values = value if isinstance(value, (tuple, list)) else (value,)
            parts.extend(shlex.quote(str(hide(v))) for v in values if v is not None)
            continue
        if value in (None, False, (), "") or value == param.default or not isinstance(param, click.Option):
            continue
        name = max(param.opts, key=len)
        if param.is_flag:
            options.append(name if value is True else f"{name}={value}")
        else:
            for v in value if isinstance(value, (tuple, list)) else (value,):
                options.append(f"{name} {shlex.quote(str(hide(v)))}")
    # a path's bytes that are not UTF-8 (a file named in GBK, allowed by cli/argtext) as \xNN:
    # the journal is UTF-8 JSON, and failing to write it left an import's records unjournaled
    text = " ".join([*parts, *options])
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def journal_command(store: Store) -> None:
    """Make the writes of the running command one journal entry, closed when it ends
    (called when a command opens the store)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.command.name in NOT_JOURNALED:
        return
    by = ctx.params.get("by")
    secret = frozenset(store.config.confidential.fields)
    ctx.with_resource(store.change(command_line(ctx, secret), by if isinstance(by, str) and by else None))


@click.command("undo")
@click.option("--list", "as_list", is_flag=True, help="List the recent changes instead.")
@click.option("--limit", type=COUNT, default=20, show_default=True, help="With --list: how many.")
@click.option("--json", "as_json", is_flag=True, help="With --list: print JSON only.")
@pass_ctx
def undo(ctx: Context, as_list: bool, limit: int, as_json: bool) -> None:
    """Take back kehu's last change to the store: the files of the last command that changed
    something are put back exactly as they were (files it created are removed, files it
    removed come back) and reindexed. Refused when one of them changed since (a hand edit).

    Running it again takes back the change before. An undo is listed as a change but is never
    itself taken back (there is no redo: run the command again). `--list`: the recent changes,
    newest first, with id, when, who, the command and its files."""
    from .. import journal, journal_entries

    store = ctx.store
    if as_list:
        found = journal_entries.entries(store)[::-1][:limit]
        if as_json:
            emit_json([e.as_json() for e in found])
            return
        if not found:
            click.echo(_("no changes recorded yet"), err=True)
        for e in found:
            # a hand-made entry's ESC would drive the terminal (render.terminal_safe)
            # a line break typed inside an argument (`--note $'a\nb'`) is shown as \n: one line a change
            command = e.command.replace("\r", "\\r").replace("\n", "\\n")
            click.echo(terminal_safe(f"#{e.id}  {e.when[:16].replace('T', ' ')}  {e.who}  {command}") + _state(e))
            for f in e.files:
                click.echo(f"    {terminal_safe(f.path)}")
        return
    from ..services.checking import check_store

    done = journal.undo(store, lambda ids: check_store(store, customers=ids))
    click.echo(terminal_safe(_("undid {change}: {count} file(s) put back").format(change=done.describe(),
                                                                         count=len(done.files))))
    for f in done.files:
        click.echo(f"    {terminal_safe(f.path)}")


def _state(entry: Any) -> str:
    if entry.undoes is not None:
        return "  " + _("(undo of #{change})").format(change=entry.undoes)
    if entry.undone_by is not None:
        return "  " + _("(undone by #{change})").format(change=entry.undone_by)
    return ""

