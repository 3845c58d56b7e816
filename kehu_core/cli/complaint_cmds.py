"""``kehu complaint list|ack|resolve|close``: complaints resolved in time.

The workflow and the deadlines are :mod:`kehu_core.complaints`; this module parses and prints.
"""

from __future__ import annotations

import click

from .. import complaints as cp
from ..i18n import N_, _, ngettext
from ..ids import check_id
from .context import Context, emit_json, pass_ctx, say_unread_records
from .options import REP
from .render import console, styled, terminal_safe

STATE_NAMES = {"open": N_("open"), "acknowledged": N_("acknowledged"),
               "resolved": N_("resolved"), "closed": N_("closed")}


def _at(value: str) -> str:
    return value.replace("T", " ")


@click.group("complaint")
def complaint_group() -> None:
    """Complaints: open → acknowledged → resolved → closed, with deadlines."""


@complaint_group.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only complaints not yet resolved.")
@click.option("--owner", type=REP, help="Only complaints of this rep's customers.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def complaint_list(ctx: Context, open_only: bool, owner: str | None, as_json: bool) -> None:
    """Complaints with their state, deadlines (respond by, resolve by) and who handles them;
    the most urgent first."""
    found = cp.complaints(ctx.store, open_only=open_only, owner=owner)
    say_unread_records(ctx.unread_records())  # a complaint whose file is broken is in no list: said
    if as_json:
        emit_json([v.to_json() for v in found])
        return
    if not found:
        click.echo(_("no open complaints") if open_only else _("no complaints"), err=True)
        return
    from rich.markup import escape

    for v in found:
        data = v.to_json()
        overdue = " [bold red]" + _("OVERDUE") + "[/]"
        respond = _("respond by {time}").format(time=_at(data["respond_by"])) + (overdue if v.respond_overdue else "")
        resolve = _("resolve by {time}").format(time=_at(data["resolve_by"])) + (overdue if v.resolve_overdue else "")
        handler = _("handler {name}").format(name=escape(v.handler or "-"))
        console.print(styled(f"[bold]{escape(v.customer_name)}[/] ({v.customer_id})  {v.complaint.id}  "
                             f"{_(STATE_NAMES[v.state])}  " + handler), soft_wrap=True)
        console.print(styled(f"    {respond} · {resolve}"), soft_wrap=True)
        if v.complaint.text:  # each of its lines indented: one at the margin read as a complaint of its own
            console.print(terminal_safe("\n".join(f"    {line}" for line in v.complaint.text.splitlines())),
                          soft_wrap=True)
    late = sum(1 for v in found if v.overdue)
    pending = sum(1 for v in found if v.unfinished)
    click.echo(ngettext("{n} complaint", "{n} complaints", len(found)).format(n=len(found)) + " · "
               + _("{pending} not resolved · {late} overdue").format(pending=pending, late=late))


def _move(verb: str, help_text: str) -> click.Command:
    @click.command(verb, help=help_text)
    @click.argument("customer_id")
    @click.argument("complaint_id", metavar="COMPLAINT")
    @click.option("--text", help="What was said or done (for resolve: the resolution).")
    @click.option("--by", type=REP, help="Who did it (default: the customer's owner).")
    @pass_ctx
    def command(ctx: Context, customer_id: str, complaint_id: str, text: str | None, by: str | None) -> None:
        done = cp.move(ctx.store, check_id(customer_id, "customer id"), complaint_id, verb, by=by, text=text)
        step = done.complaint.history[-1]
        who = " " + _("by {name}").format(name=step.by) if step.by else ""
        click.echo(_("{name}: complaint {complaint} {state} {time}").format(
            name=done.customer_name, complaint=done.complaint.id, state=_(STATE_NAMES[done.state]),
            time=_at(step.at)) + who)
        if done.state == cp.ACKNOWLEDGED:
            late = " " + _("(overdue)") if done.resolve_overdue else ""
            click.echo(_("resolve by {time}").format(time=_at(done.to_json()["resolve_by"])) + late)
    return command


complaint_group.add_command(_move(
    "ack", "Acknowledge a complaint: the customer was told what will happen (open → acknowledged)."))
complaint_group.add_command(_move(
    "resolve", "Resolve a complaint (acknowledged → resolved; an open one is acknowledged in the "
               "same moment). --text: how it was resolved."))
complaint_group.add_command(_move(
    "close", "Close a resolved complaint after following up with the customer (resolved → closed)."))

