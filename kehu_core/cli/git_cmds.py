"""``kehu sync``, ``kehu git-setup``, ``kehu merge-file`` (git's driver) and ``kehu handover``."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import KehuError
from ..i18n import _, ngettext
from ..keytext import key_text
from ..services import git_hooks, gitops, merge_driver
from ..services.sync import sync as run_sync
from ..store import GITATTRIBUTES, GITIGNORE
from ..yamlio import atomic_write
from . import as_printed
from .context import Context, emit_json, pass_ctx, warn
from .options import given_path


@click.command("sync")
@click.option("-m", "--message", help="Commit message (default: one written from the changes).")
@click.option("--no-push", is_flag=True, help="Commit and merge, but do not push.")
@click.option("--push-back", is_flag=True,
              help="The remote was rewritten by mistake (a force-push the sync stopped at): merge the commits it "
                   "took out and push them back.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def sync_cmd(ctx: Context, message: str | None, no_push: bool, push_back: bool, as_json: bool) -> None:
    """Commit pending changes, merge the remote's, push ours.

    The commit message says what changed ("赵敏: purchase 龙井茶礼盒 1288.00"). Profiles
    merge field by field; a field changed two ways is recorded under `conflicts:` in the
    file and listed here and by `kehu check`.
    """
    report = run_sync(ctx.store, message=message, push=not no_push, push_back=push_back)
    if as_json:
        emit_json(report.as_json())
        return
    for note in report.notes:
        warn(note)
    if report.commit:
        click.echo(_("committed {commit}").format(commit=report.commit[:7]) + f"  {report.committed}")
    else:
        click.echo(_("nothing new to commit"))
    where = f"{report.remote}/{report.branch}"
    if report.merged:
        click.echo(_("merged {count} commit(s) from {where}").format(count=report.merged, where=where))
    if report.pushed:
        click.echo(_("pushed {count} commit(s) to {where}").format(count=report.pushed, where=where))
    elif not report.merged:
        click.echo(_("up to date with {where}").format(where=where))
    for problem in report.conflicts:
        click.echo(as_printed(problem.render()), err=True)  # a colleague's text: never driving the terminal
    if report.conflicts:
        warn(_("{count} field(s) were changed two ways; both versions are kept "
               "under `conflicts:` in the file: choose one and remove the entry").format(count=len(report.conflicts)))


@click.command("git-setup")
@pass_ctx
def git_setup(ctx: Context) -> None:
    """Install kehu's merge rules and index hooks in this clone (after `git clone`, or when
    the venv moved)."""
    store = ctx.store
    root = store.root
    if not gitops.has_repo(root):
        raise KehuError(_("{root} is not a git repository; `git init` it first").format(root=root))
    changed = []
    if git_hooks.install_merge_driver(root):
        changed.append(_("merge driver: {command}").format(command=git_hooks.driver_command()))
    hooks = git_hooks.install_index_hooks(root)
    changed += [_("git hook {name}: keeps the index up to date after git changes files").format(name=name)
                for name in hooks.changed]
    for name, wanted in ((".gitattributes", GITATTRIBUTES), (".gitignore", GITIGNORE)):
        if _ensure_lines(root / name, wanted):
            changed.append(_("{name}: added kehu's lines (commit it: `kehu sync` does)").format(name=name))
    for line in changed:
        click.echo(line)
    for line in hooks.left:  # a hooks folder or a hook of the user's: never written
        warn(line)
    if not changed and not hooks.left:
        click.echo(_("already set up: merge driver, index hooks, .gitattributes and .gitignore are in place"))


def _ensure_lines(path: Path, wanted: str) -> bool:
    """Append the lines of ``wanted`` that ``path`` lacks; keep everything already there."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    have = {line.strip() for line in text.splitlines()}
    missing = [ln for ln in wanted.splitlines() if ln.strip() and not ln.startswith("#")
               and ln.strip() not in have]
    if not missing:
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    atomic_write(path, text + "\n".join(missing) + "\n")
    return True


@click.command("merge-file")
@click.argument("base", type=given_path(exists=True, dir_okay=False))  # git passes three files
@click.argument("ours", type=given_path(exists=True, dir_okay=False))  # git passes three files
@click.argument("theirs", type=given_path(exists=True, dir_okay=False))  # git passes three files
@click.argument("label", required=False, default="customer.yaml")
def merge_file(base: Path, ours: Path, theirs: Path, label: str) -> None:
    """git's merge driver for customer.yaml: merge BASE, OURS, THEIRS into OURS by field.

    Exit 0 when merged (conflicting fields are kept under `conflicts:`); 1 only when a side
    is not readable YAML and git's line merge left conflict markers for a person.
    """
    # git runs its driver at the top of the work tree
    result = merge_driver.merge_files(base, ours, theirs, label, replaying=gitops.replaying(Path.cwd()))
    if result.one_id_two_customers:
        from ..services.unmerged_files import customer_of, given_one_id_text

        mine, other = result.one_id_two_customers
        warn(f"{label}: " + given_one_id_text(customer_of(label) or label, mine, other, merging=True))
        raise SystemExit(1)
    if result.markers:
        warn(_("{label}: not readable as YAML on one side; left git conflict markers to resolve").format(label=label))
        raise SystemExit(1)
    for conflict in result.conflicts:
        warn(_("{label}: {field} changed two ways; kept ours, both under `conflicts:`").format(
            label=label, field=conflict.field))


@click.command("handover")
@click.argument("from_rep")
@click.argument("to_rep")
@click.option("--no-commit", is_flag=True, help="Change the files but do not commit.")
@pass_ctx
def handover(ctx: Context, from_rep: str, to_rep: str, no_commit: bool) -> None:
    """Give every customer of FROM_REP to TO_REP (the successor carries on), as one commit."""
    store = ctx.store
    # as every door takes spaces off an owner: `handover 王芳 " 李四 "` stored 李四 and said
    # (and committed) " 李四 ", and `handover 王芳 " 王芳 "` handed 王芳's customers to 王芳
    from_rep, to_rep = key_text(from_rep), key_text(to_rep)  # as the owner is stored (keytext)
    if from_rep == to_rep:
        raise click.UsageError(_("FROM_REP and TO_REP are the same rep"))
    if not to_rep.strip():
        raise click.UsageError(_("TO_REP is empty"))
    from ..config_names import rep_name_problem  # the owner rule: said of TO_REP, not of each customer's file

    if (problem := rep_name_problem(to_rep)) is not None:
        raise click.BadParameter(problem, param_hint="TO_REP")
    if not from_rep.strip():  # an empty owner filter is no filter: it would hand over everyone
        raise click.UsageError(_("FROM_REP is empty"))
    with store.lock():
        commits = not no_commit and gitops.has_repo(store.root)
        if commits and (why := gitops.commit_problem(store.root)):
            raise KehuError(_("kehu handover commits what it changes, and no commit can land here now: {why}; "
                              "nothing was changed (`--no-commit` changes the files only)").format(why=why))
        # every customer it writes is one the index lists: one deleted by hand since the index last
        # looked (a store past SMALL_STORE_FILES) stopped the whole hand-over, "no customer with id
        # ...": the index forgets it (a stat each; re-reading every file cost a fifth more CPU)
        gone = [path for r in store.index.list(owner=from_rep)
                if not (path := store.customer_file(r.customer.id)).exists()]
        if gone:
            store.index.refresh_paths(gone)
        rows = store.index.list(owner=from_rep)
        if not rows:
            from ..config_names import unknown_rep

            raise unknown_rep(store, from_rep)
        paths = []
        # whole or not at all: a customer refused half-way (a shop's rule of its own, a file kehu
        # cannot write) left the customers before it handed over, uncommitted, and the rest not;
        # the commit is part of the whole: one git refused (a signing key missing, a hook) left
        # every customer handed over, uncommitted, with exit 1
        row, committed, written = None, False, False
        try:
            with store.undo_on_error():
                for row in rows:
                    store.update_customer(row.customer.id, {"owner": to_rep})
                    paths.append(store.rel(store.customer_file(row.customer.id)))
                written = True
                if commits:
                    message = f"handover: {len(paths)} customers of {from_rep} to {to_rep}"
                    committed = gitops.commit(store.root, message, paths)
        except (KehuError, OSError):
            if written:
                warn(_("the hand-over of {old}'s customers to {new} could not be committed; nothing was "
                       "handed over").format(old=from_rep, new=to_rep))
            elif row is not None:
                warn(_("the hand-over of {old}'s customers to {new} stopped at {name} ({id}); nothing was "
                       "handed over").format(old=from_rep, new=to_rep, name=row.customer.name, id=row.customer.id))
            raise
    broken = [p for p in store.index.problems() if p.path.name == "customer.yaml"]
    click.echo(ngettext("reassigned {count} customer from {old} to {new}",
                        "reassigned {count} customers from {old} to {new}", len(paths)).format(
                            count=len(paths), old=from_rep, new=to_rep)
               + (" " + _("(commit {commit})").format(commit=gitops.head(store.root)[:7])  # type: ignore[index]
                  if committed else ""))
    if store.config.confidential.fields:
        from ..confidential import has_identity

        if not has_identity(store):  # with one, update_customer encrypted them to TO_REP
            warn(_("confidential fields stay encrypted to {rep} until someone who can read "
                   "them runs `kehu keys rotate`").format(rep=from_rep))
    if broken:
        warn(_("{count} customer file(s) could not be read and were not checked for "
               "{rep}: `kehu check` lists them").format(count=len(broken), rep=from_rep))

