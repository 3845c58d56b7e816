"""``kehu import`` and ``kehu export`` (README "Import and export")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import shown_path
from ..i18n import _
from .context import Context, emit_json, pass_ctx, say_left_out
from .options import KEY, TypedPath
from .progress import ImportProgress

_SHOWN = 20  # per-customer lines printed per group; --json has them all


@click.command("import")
@click.argument("files", nargs=-1, required=True,
                type=TypedPath(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", default="auto", show_default=True,
              help="auto, vcard, google-csv, sheet, or a plugin's format.")
@click.option("--dry-run", is_flag=True, help="Show what would be created, merged and skipped; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON only.")
@click.option("--allow-future", is_flag=True, help="Accept purchases dated after today.")
@pass_ctx
def import_cmd(ctx: Context, files: tuple[Path, ...], fmt: str, dry_run: bool, as_json: bool,
               allow_future: bool) -> None:
    """Import contacts (vCard, Google CSV) and customer sheets (xlsx, csv); merges duplicates.

    Exit 1 if any row could not be imported (each is reported as file:line: message; the
    other rows are imported).
    """
    from ..services.importing import import_files

    with ImportProgress() as on_progress:
        summary = import_files(ctx.store, files, fmt=fmt, dry_run=dry_run, on_progress=on_progress,
                               allow_future=allow_future)
    # each line as one line: a file's name is whoever made it's (a colleague's zip), and a line
    # feed or ESC in it cut the `file:line:` lines and drove the terminal (errors.shown_path)
    for problem in summary.problems:
        click.echo(shown_path(problem), err=True)
    for note in summary.unlinked:
        click.echo(shown_path(note), err=True)
    for warning in summary.warnings:  # file:line: warning: message, as `kehu check` says one
        click.echo(shown_path(warning), err=True)
    if as_json:
        emit_json(summary.as_json())
    else:
        _print_summary(summary)
    if summary.problems:
        raise SystemExit(1)


def _print_summary(summary: Any) -> None:
    if summary.dry_run:
        click.echo(_("dry run: nothing was written"))
    verb = {"created": _("would create") if summary.dry_run else _("created"),
            "merged": _("would merge") if summary.dry_run else _("merged"), "skipped": _("skipped")}
    for group in ("created", "merged", "skipped"):
        entries = getattr(summary, group)
        for entry in entries[:_SHOWN]:
            click.echo(f"{verb[group]:<13}{shown_path(_describe(entry, group, summary.dry_run))}")
        if len(entries) > _SHOWN:
            click.echo(f"{'':<13}" + _("... and {count} more {group} (--json lists all)").format(
                count=len(entries) - _SHOWN, group=verb[group]))
    click.echo(_("{customers}; {purchases} {existing}; {rows}").format(  # one message: Chinese joins with ；
        customers=_("{created} created, {merged} merged, {skipped} skipped").format(
            created=len(summary.created), merged=len(summary.merged), skipped=len(summary.skipped)),
        purchases=(_("{count} purchases to add") if summary.dry_run else _("{count} purchases added")).format(
            count=summary.purchases_added),
        existing=_("({count} already there)").format(count=summary.purchases_existing),
        rows=_("{rows} rows read, {failed} failed").format(rows=summary.rows, failed=len(summary.problems))))
    if summary.extra_fields:
        kept = ", ".join(f"{k} ×{n}" for k, n in summary.extra_fields.most_common())
        click.echo(_("kept as extra data (import_extra) — no kehu field for: {fields}").format(fields=kept))
    if summary.not_imported:
        dropped = ", ".join(f"{k} ×{n}" for k, n in summary.not_imported.most_common())
        click.echo(_("not imported (kehu keeps no pictures or binary data): {fields}").format(fields=dropped))


def _describe(entry: dict[str, Any], group: str, dry_run: bool) -> str:
    cid = entry["id"] if entry["id"] and not (dry_run and group == "created") else _("(new)")
    text = f"{cid}  {entry['name']}  ({entry['source']}"
    text += ", " + _("{count} rows").format(count=entry["rows"]) + ")" if entry.get("rows", 1) > 1 else ")"
    details = []
    if entry.get("purchases"):
        details.append(_("{count} purchases").format(count=entry["purchases"]))
    if group == "merged" and entry.get("added"):
        details.append(_("added {fields}").format(
            fields=", ".join(entry["added"][:6]) + (" ..." if len(entry["added"]) > 6 else "")))
    if entry.get("conflicts"):
        details.append(_("conflicts: {list}").format(list="; ".join(entry["conflicts"])))
    if entry.get("reason"):
        details.append(entry["reason"])
    return text + (": " + "; ".join(details) if details else "")


@click.command("export")
# the path is judged by export_targets.check_target and the write itself (a message and exit 1), not
# by click (a usage error, exit 2, for a file that exists and cannot be written)
@click.argument("out", type=TypedPath())  # as typed: a Path would drop the / of "new/" (a folder meant)
@click.option("--format", "fmt", required=True,
              help="csv, xlsx, vcard, ics, or a plugin's format.")
@click.option("--tag", type=KEY, help="Only customers with this tag.")
@click.option("--segment", help="Only customers of this saved segment (kehu segment list).")
@click.option("--what", type=click.Choice(["customers", "purchases"]), default="customers",
              show_default=True, help="csv and xlsx: one row per customer, or per purchase.")
@click.option("--reveal", is_flag=True,
              help="Write confidential fields in plain where your identity (--identity) opens "
                   "them; without it they are left empty.")
@pass_ctx
def export_cmd(ctx: Context, out: str, fmt: str, tag: str | None, what: str,
               segment: str | None, reveal: bool) -> None:
    """Write customers to OUT: CSV (UTF-8 with BOM), xlsx, vCard 3.0, or ICS of birthdays and
    reminders."""
    from ..services.exporting import export

    count = export(ctx.store, fmt, out, tag=tag, what=what, segment=segment, reveal=reveal)
    message = {"vcard": _("wrote {count} contacts to {out}"), "ics": _("wrote {count} events to {out}")}.get(
        fmt, _("wrote {count} rows to {out}"))
    click.echo(message.format(count=count, out=shown_path(out)), err=True)
    from ..services.export_targets import shared_note

    # the target as export checked it (`-` is standard output: no note); checked once, there
    if note := shared_note(ctx.store, Path(out).expanduser()):
        click.echo(note, err=True)
    say_left_out(ctx.store.index.unlisted(), "exported")  # a customer left out is said, never silent

