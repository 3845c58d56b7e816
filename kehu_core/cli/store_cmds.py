"""``kehu init``, ``check``, ``plugins`` and ``tui``."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from ..confidential import misspelt_fields
from ..errors import KehuError, shown_path
from ..i18n import _, ngettext
from ..services import git_hooks
from ..services.checking import check_store, created_warnings, mixed_script_warnings
from ..services.serve_secrets import htpasswd_warnings
from ..store import Store
from . import as_printed  # what a file holds (a field's name with ESC) never drives the terminal
from .context import Context, emit_json, pass_ctx, warn
from .options import given_path


@click.command("init")
@click.argument("path", type=given_path())
@click.option("--name", help="The store's name (default: the folder's name).")
@click.option("--no-git", is_flag=True, help="Do not make it a git repository.")
def init(path: Path, name: str | None, no_git: bool) -> None:
    """Create an empty store at PATH: kehu.yaml, the record folders, git init, first commit."""
    with _undone_on_failure(path):
        Store.init(path, name)
        if not no_git:
            git_hooks.init_repo(path)
    click.echo(_("new kehu store at {path}").format(path=shown_path(path)), err=True)
    if not no_git:  # what init left to the user (a hooks folder outside the clone): said once more
        for line in git_hooks.install_index_hooks(path).left:
            warn(line)


@contextlib.contextmanager
def _undone_on_failure(path: Path) -> Iterator[None]:
    """What `kehu init` made at ``path`` removed when it fails (a full disk: "No space left on
    device" in the middle of `git init`), the folder as it was: before, a store half made (a
    `.git` without its first commit, a kehu.yaml, or only `customers/`) stayed, which the same
    `kehu init` run again once there was room refused as "not empty", and other commands took for
    a store. The folders above ``path`` it made are removed too; what was there stays."""
    made = None  # the topmost folder init makes, if it makes ``path``
    for folder in (path, *path.parents):
        if os.path.lexists(folder):
            break
        made = folder
    before = set(os.listdir(path)) if made is None and path.is_dir() else set()
    try:
        yield
    except BaseException:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        elif path.is_dir():
            for name in set(os.listdir(path)) - before:
                entry = path / name
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        entry.unlink()
        raise


@click.command("check")
@pass_ctx
def check(ctx: Context) -> None:
    """Validate the whole store; print each problem as path:line: message (exit 1 if any)."""
    # warnings (path:line: warning: message) are listed too and change no exit code: `kehu
    # sync` refuses what check rejects, and they must not stop a clone's sync
    from ..plugin_names import as_warning
    from ..reports.reps import card_field_slips

    ctx.lists_warnings = True  # listed here, not said on stderr as the store opens
    store = ctx.store
    from ..journal_entries import unreadable

    # and the undo journal this clone keeps (never pushed: not a problem `kehu sync` refuses)
    problems = [*check_store(store), *unreadable(store)]
    for problem in problems:
        click.echo(as_printed(problem.render()))
    warnings = [*store.plugins.unknown_names(), *created_warnings(store), *mixed_script_warnings(store),
                *misspelt_fields(store), *card_field_slips(store), *htpasswd_warnings(store)]
    for warning in warnings:
        click.echo(as_printed(as_warning(warning)))
    count = store.index.count()
    warned = ("; " + ngettext("{n} warning", "{n} warnings", len(warnings)).format(n=len(warnings))
              if warnings else "")
    if problems:
        click.echo(ngettext("{n} problem", "{n} problems", len(problems)).format(n=len(problems)) + "; "
                   + ngettext("{count} customer loads fine", "{count} customers load fine", count).format(count=count)
                   + warned, err=True)
        raise SystemExit(1)
    click.echo(ngettext("ok: {count} customer, no problems", "ok: {count} customers, no problems", count)
               .format(count=count) + warned, err=True)


@click.command("reindex")
@click.option("--rebuild", is_flag=True, help="Throw the index away and read every file again.")
@click.option("--git", "from_git", is_flag=True,
              help="Re-read only what git changed since the index last looked (what kehu's git hooks run).")
@click.argument("paths", nargs=-1, type=given_path())
@pass_ctx
def reindex(ctx: Context, rebuild: bool, from_git: bool, paths: tuple[Path, ...]) -> None:
    """Bring the index up to date by comparing every file (or rebuild it from scratch).

    Never needed for correctness of kehu's own writes; use it after editing files in place
    with an editor in a big store, or if the index looks wrong. Deleting .kehu/ is also safe.
    With PATHS (files or folders of the store), only those are looked at: fast in any store,
    for an editor hook (e.g. vim: autocmd BufWritePost */customers/* silent !kehu reindex %).
    """
    store = ctx.store
    if from_git and not (paths or rebuild):
        from ..index import Index

        index = store.use_index(Index(store))  # no look at the whole store first
        changed = index.catch_up_with_git()
        if changed is None:  # git cannot tell (no commit seen before): look at the folders
            changed = index.refresh(full=False)
        click.echo(_("index up to date with git: {changed} file(s) re-read").format(changed=changed), err=True)
        return
    if paths and not rebuild:
        from ..index import Index

        outside = [p for p in paths if not p.resolve().is_relative_to(store.root.resolve() / "customers")]
        if outside:
            raise KehuError(_("{path}: not a file or folder under {folder}").format(
                path=outside[0], folder=store.root / "customers"))
        index = store.use_index(Index(store))  # no blind check of the whole store first
        changed = index.refresh_given(list(paths))
        click.echo(_("index up to date for {paths} path(s): {changed} file(s) re-read").format(
            paths=len(paths), changed=changed), err=True)
        return
    if rebuild:
        from ..index import Index

        store.index.delete()
        store.use_index(Index(store))
    changed = store.index.refresh(full=True)
    count = store.index.count()
    click.echo(ngettext("index up to date: {changed} file(s) re-read, {count} customer",
                        "index up to date: {changed} file(s) re-read, {count} customers", count).format(
        changed=changed, count=count), err=True)


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def plugins(ctx: Context, as_json: bool) -> None:
    """The plugins loaded for this store and the hooks each implements."""
    host = ctx.store.plugins
    assert host is not None
    listing = host.describe()
    if as_json:
        emit_json(listing)
        return
    # a third party's words (its entry point's name, a failure's message) shown as every kehu
    # message shows them (shown_path: \x1b, \u200b, \n): raw, ESC drove the terminal, a line
    # feed made a line of the plugin's making, and a name "points\u200b" looked as kehu's own
    for entry in listing:
        click.echo(f"{shown_path(entry['name'])}: {', '.join(map(shown_path, entry['hooks']))}")
        for error in entry["failures"]:
            click.echo("    " + _("failed: {error}").format(error=shown_path(error)))
    if host.disabled:
        click.echo(_("disabled in kehu.yaml: {plugins}").format(
            plugins=", ".join(map(shown_path, sorted(host.disabled)))), err=True)


def _terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed stream
        return False


@click.command("tui")
@pass_ctx
def tui(ctx: Context) -> None:
    """Open the Textual app on the store."""
    if not (_terminal(sys.stdin) and _terminal(sys.stdout)):  # a cron job's, a service's: Textual
        # ended in a traceback with exit 0 (input closed) or drew screens for ever into a file,
        # waiting for keys from /dev/null
        raise KehuError(_("kehu tui needs a terminal for its input and output, and here one is closed, a file or "
                          "a pipe: run it in a terminal window (scripts use kehu's other commands)"))
    try:
        from kehu_tui.app import KehuApp
    except ImportError as exc:
        raise KehuError(_("the TUI is not installed ({error})").format(error=exc)) from None
    KehuApp(ctx.store).run()

