"""``kehu sync``, ``kehu git-setup``, ``kehu merge-file`` (git's driver) and ``kehu handover``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from ..errors import KehuError
from ..services import gitops, profile_merge
from ..services.sync import sync as run_sync
from ..store import GITATTRIBUTES, GITIGNORE
from ..yamlio import atomic_write
from . import Context, emit_json, pass_ctx, warn


@click.command("sync")
@click.option("-m", "--message", help="Commit message (default: one written from the changes).")
@click.option("--no-push", is_flag=True, help="Commit and merge, but do not push.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def sync_cmd(ctx: Context, message: str | None, no_push: bool, as_json: bool) -> None:
    """Commit pending changes, merge the remote's, push ours.

    The commit message says what changed ("赵敏: purchase 龙井茶礼盒 1288.00"). Profiles
    merge field by field; a field changed two ways is recorded under `conflicts:` in the
    file and listed here and by `kehu check`.
    """
    report = run_sync(ctx.store, message=message, push=not no_push)
    if as_json:
        emit_json(report.as_json())
        return
    for note in report.notes:
        warn(note)
    if report.commit:
        click.echo(f"committed {report.commit[:7]}  {report.committed}")
    else:
        click.echo("nothing new to commit")
    where = f"{report.remote}/{report.branch}"
    if report.merged:
        click.echo(f"merged {report.merged} commit(s) from {where}")
    if report.pushed:
        click.echo(f"pushed {report.pushed} commit(s) to {where}")
    elif not report.merged:
        click.echo(f"up to date with {where}")
    for problem in report.conflicts:
        click.echo(problem.render(), err=True)
    if report.conflicts:
        warn(f"{len(report.conflicts)} field(s) were changed two ways; both versions are kept "
             "under `conflicts:` in the file: choose one and remove the entry")


@click.command("git-setup")
@pass_ctx
def git_setup(ctx: Context) -> None:
    """Install kehu's merge rules and index hooks in this clone (after `git clone`, or when
    the venv moved)."""
    store = ctx.store
    root = store.root
    if not gitops.is_repo(root):
        raise KehuError(f"{root} is not a git repository; `git init` it first")
    changed = []
    if gitops.install_merge_driver(root):
        changed.append(f"merge driver: {gitops.driver_command()}")
    changed += [f"git hook {name}: keeps the index up to date after git changes files"
                for name in gitops.install_index_hooks(root)]
    for name, wanted in ((".gitattributes", GITATTRIBUTES), (".gitignore", GITIGNORE)):
        if _ensure_lines(root / name, wanted):
            changed.append(f"{name}: added kehu's lines (commit it: `kehu sync` does)")
    for line in changed:
        click.echo(line)
    if not changed:
        click.echo("already set up: merge driver, index hooks, .gitattributes and .gitignore are in place")


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
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("ours", type=click.Path(path_type=Path))
@click.argument("theirs", type=click.Path(path_type=Path))
@click.argument("label", required=False, default="customer.yaml")
def merge_file(base: Path, ours: Path, theirs: Path, label: str) -> None:
    """git's merge driver for customer.yaml: merge BASE, OURS, THEIRS into OURS by field.

    Exit 0 when merged (conflicting fields are kept under `conflicts:`); 1 only when a side
    is not readable YAML and git's line merge left conflict markers for a person.
    """
    result = profile_merge.merge_files(base, ours, theirs, label)
    if result.markers:
        warn(f"{label}: not readable as YAML on one side; left git conflict markers to resolve")
        raise SystemExit(1)
    for conflict in result.conflicts:
        warn(f"{label}: {conflict.field} changed two ways; kept ours, both under `conflicts:`")


@click.command("handover")
@click.argument("from_rep")
@click.argument("to_rep")
@click.option("--no-commit", is_flag=True, help="Change the files but do not commit.")
@pass_ctx
def handover(ctx: Context, from_rep: str, to_rep: str, no_commit: bool) -> None:
    """Give every customer of FROM_REP to TO_REP (接替者继续服务), as one commit."""
    store = ctx.store
    if from_rep == to_rep:
        raise click.UsageError("FROM_REP and TO_REP are the same rep")
    if not to_rep.strip():
        raise click.UsageError("TO_REP is empty")
    with store.lock():
        rows = store.index.list(owner=from_rep)
        if not rows:
            reps = Counter(r.customer.owner for r in store.index.list() if r.customer.owner)
            known = ", ".join(f"{rep} ({n})" for rep, n in reps.most_common()) or "none"
            raise KehuError(f"unknown rep {from_rep!r}: no customer has owner {from_rep!r}; "
                            f"reps in this store: {known}")
        paths = []
        for row in rows:
            cid = row.customer.id
            store.update_customer(cid, {"owner": to_rep})
            paths.append(store.rel(store.customer_file(cid)))
        message = f"handover: {len(paths)} customers of {from_rep} to {to_rep}"
        committed = False
        if not no_commit and gitops.is_repo(store.root):
            committed = gitops.commit(store.root, message, paths)
    broken = [p for p in store.index.problems() if p.path.name == "customer.yaml"]
    click.echo(f"reassigned {len(paths)} customers from {from_rep} to {to_rep}"
               + (f" (commit {gitops.head(store.root)[:7]})" if committed else ""))  # type: ignore[index]
    if store.config.confidential.fields:
        from ..confidential import has_identity

        if not has_identity(store):  # with one, update_customer encrypted them to TO_REP
            warn(f"confidential fields stay encrypted to {from_rep} until someone who can read "
                 "them runs `kehu keys rotate`")
    if broken:
        warn(f"{len(broken)} customer file(s) could not be read and were not checked for "
             f"{from_rep}: `kehu check` lists them")

