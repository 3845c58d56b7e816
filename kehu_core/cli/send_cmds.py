"""``kehu send`` (greetings and offers to a segment) and ``kehu segment list|show``."""

from __future__ import annotations

import datetime as dt

import click
from rich.panel import Panel
from rich.table import Table

from ..i18n import N_, _, ngettext
from ..services import outreach, segments
from .context import Context, emit_json, pass_ctx, say_left_out
from .options import REP, Number
from .records import DATE
from .render import console, customer_json, print_customers, styled, terminal_safe

STATUS_TEXT = {
    outreach.SEND: ("green", N_("will send")), outreach.SENT: ("green", N_("sent")),
    outreach.FAILED: ("red", N_("failed")), outreach.DO_NOT_CONTACT: ("yellow", N_("skip: do not contact")),
    outreach.NO_ADDRESS: ("yellow", N_("skip: no address")),
    outreach.ALREADY_SENT: ("dim", N_("skip: already sent")),
    outreach.SAME_ADDRESS: ("dim", N_("skip: same address as another customer")),
}


def _status(status: str) -> str:
    """A message's status as Rich markup, in the user's language."""
    if status not in STATUS_TEXT:
        return status
    style, text = STATUS_TEXT[status]
    return f"[{style}]{_(text)}[/]"


@click.command("send")
@click.option("--segment", "segment", required=True, help="A saved segment (kehu segment list).")
@click.option("--template", "template", required=True,
              help="templates/NAME.j2 in the store, a built-in (birthday, festival, winback), "
                   "or a path to a .j2 file.")
@click.option("--channel", default="email", show_default=True,
              help="email, or a channel a plugin provides (sms from the outbox plugin).")
@click.option("--dry-run", is_flag=True, help="Show every message; send and record nothing.")
@click.option("--campaign", help="Name of this send (default: the template's name). Re-running a "
                                 "campaign skips customers who already got it.")
@click.option("--rate", type=Number(), help="Messages per minute (default: outreach.rate_per_minute "
                                         f"in kehu.yaml, else {outreach.DEFAULT_RATE}).")
@click.option("--today", "--as-of", "today", type=DATE,
              help="The day for the segment and the record (default: today).")
@click.option("--by", type=REP, help="The rep sending (recorded with each message).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def send(ctx: Context, segment: str, template: str, channel: str, dry_run: bool,
         campaign: str | None, rate: float | None, today: dt.date | None, by: str | None,
         as_json: bool) -> None:
    """Send a template to every customer of a segment (do-not-contact and repeats skipped)."""
    store = ctx.store
    day = ctx.at(today)
    # the rate is judged in a dry run too: it showed every message, exit 0, with a rate the send refused
    limiter = outreach.RateLimiter(rate if rate is not None else outreach.rate_setting(store))
    plan = outreach.plan(store, segment, template, channel, campaign=campaign, today=day)
    if not dry_run:

        def progress(msg: outreach.Outgoing) -> None:
            if not as_json:
                note = f" ({msg.error})" if msg.error else ""
                click.echo(f"{msg.status}: {msg.customer.name} {msg.to or ''}{note}", err=True)

        outreach.deliver(store, plan, limiter=limiter, today=day, by=by, progress=progress)
    counts = outreach.statuses(plan.messages)
    if as_json:
        emit_json({
            "segment": plan.segment, "template": plan.template, "channel": plan.channel,
            "key": plan.key, "dry_run": dry_run, "counts": counts,
            "messages": [m.as_json() for m in plan.messages],
        })
    else:
        if dry_run:
            for msg in plan.messages:
                _preview(msg)
        _summary(plan, counts, dry_run)
    say_left_out(store.index.unlisted(), "segments")  # nobody told a broken profile was skipped
    if counts.get(outreach.FAILED):
        raise SystemExit(1)


def _preview(msg: outreach.Outgoing) -> None:
    head = _("To: {name}").format(name=msg.customer.name) + (f" <{msg.to}>" if msg.to else "")
    if msg.subject:
        head += "\n" + _("Subject: {subject}").format(subject=msg.subject)
    console.print(Panel(
        f"{head}\n\n{msg.body}", title=styled(_status(msg.status)),
        title_align="left", subtitle=msg.customer.id, subtitle_align="right",
    ))


def _summary(plan: outreach.Plan, counts: dict[str, int], dry_run: bool) -> None:
    title = _("{template} → segment {segment} by {channel} (key {key})").format(
        template=plan.template, segment=plan.segment, channel=plan.channel, key=plan.key)
    table = Table(title=(_("Dry run: ") if dry_run else "") + title, header_style="bold")
    table.add_column(_("Status"))
    table.add_column(_("Messages"), justify="right")
    for status, n in counts.items():
        table.add_row(styled(_status(status)), str(n))
    if not counts:
        table.add_row(_("(segment is empty)"), "0")
    console.print(table)


@click.group("segment")
def segment_group() -> None:
    """Saved segments (segments: in kehu.yaml, and the built-in ones)."""


@segment_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def segment_list(ctx: Context, as_json: bool) -> None:
    """Every segment and its conditions."""
    found = segments.definitions(ctx.store)
    listing = [
        {"name": s.name, "source": s.source,
         "conditions": s.spec.model_dump(mode="json", exclude_defaults=True)}
        for s in found.values()
    ]
    if as_json:
        emit_json(listing)
        return
    table = Table(header_style="bold")
    for title in (N_("Segment"), N_("Conditions"), N_("Description"), N_("From")):
        table.add_column(_(title), overflow="fold")
    for entry in listing:
        conditions = dict(entry["conditions"])
        description = conditions.pop("description", "")
        if entry["source"] == segments.BUILT_IN_SOURCE:  # kehu's words; kehu.yaml's stay as written
            description = _(description)
        text = "; ".join(
            f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in conditions.items()
        )
        source = _("built-in") if entry["source"] == segments.BUILT_IN_SOURCE else entry["source"]
        # kehu.yaml's words as written, but a control character (ESC in a segment's name or
        # description drove the terminal of whoever listed them): the rule of every listing
        table.add_row(*map(terminal_safe, (entry["name"], text or _("(everyone)"), str(description), source)))
    console.print(table)


@segment_group.command("show")
@click.argument("name")
@click.option("--today", "--as-of", "today", type=DATE,
              help="The day relative conditions count from (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only (customer objects).")
@pass_ctx
def segment_show(ctx: Context, name: str, today: dt.date | None, as_json: bool) -> None:
    """The customers in a segment."""
    store = ctx.store
    members = segments.segment_customers(store, name, ctx.at(today))
    objects = [customer_json(store, c, values=as_json) for c in members]
    if as_json:
        emit_json(objects)
    else:
        print_customers(objects, region=store.config.region)
        click.echo(ngettext("{count} customer in segment {name}", "{count} customers in segment {name}",
                            len(objects)).format(count=len(objects), name=name), err=True)
    say_left_out(store.index.unlisted(), "segments")

