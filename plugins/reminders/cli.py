"""``kehu reminders [--days 7] [--json] [--ics OUT]``, ``reminders done``, ``reminders snooze``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import click

from kehu_core.cli import Context, Whole, emit_json_list, pass_ctx, say_left_out, say_unread_records
from kehu_core.cli.options import TypedPath
from kehu_core.cli.records import DATE, REP
from kehu_core.errors import shown_path
from kehu_core.i18n import _, ngettext
from kehu_core.left_out import REMINDED
from kehu_core.models import INTERACTION_KINDS, Reminder
from kehu_core.plugins import require_enabled
from kehu_core.reminder_engine import GROUP_LABELS, mark_done, snooze
from kehu_core.reminder_engine import rules as reminder_rules
from kehu_core.reminder_groups import day_list_of, group_order
from kehu_core.reminder_sorting import sorted_due
from kehu_core.services.contentlines import write_calendar
from kehu_core.services.exporting import check_target, shared_note, write_target
from kehu_core.shown import visible
from kehu_core.store import Store

from .rules import RULES
from .settings import NAME, settings

LUNAR_BIRTHDAY = "lunar-birthday"  # the birthday rule's reminders of a lunar (农历) birthday


def _store(ctx: Context) -> Store:
    store = ctx.store
    require_enabled(store, NAME)
    settings(store)  # bad settings: kehu.yaml:line, before anything runs
    return store


def _write_ics(path: Path, reminders: Iterable[Reminder], store: Store) -> int:
    with path.open("wb") as handle:
        return to_ics(reminders, store.config.name, store.today, handle)


def _check_rules(store: Store, names: tuple[str, ...]) -> None:
    """``--rule`` names a rule some plugin gives (or one of this plugin's, switched off in
    kehu.yaml: it gives nothing); a typo is a usage error listing them (it used to print
    "0 reminders" and exit 0)."""
    known = sorted({rule.name for rule in reminder_rules(store)} | {rule.name for rule in RULES.values()}
                   | {LUNAR_BIRTHDAY})
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.BadParameter(
            _("{names}: no such reminder rule; expected one of {known}").format(
                names=", ".join(map(repr, unknown)), known=", ".join(known)),
            param_hint="'--rule'")


def to_ics(reminders: Iterable[Reminder], name: str, today: dt.date, handle: BinaryIO) -> int:
    """All-day events a calendar app imports, written to ``handle`` as each is made; UIDs are
    the reminder keys, so re-importing updates events instead of duplicating them."""
    # here, not at the top: every command kehu runs registers this plugin's commands (`kehu
    # tier`, `kehu check`), and icalendar is a fiftieth of a second to import that only --ics needs
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//kehu//reminders//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{name} 客户提醒")
    stamp = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)  # made "today", as time is data

    def events() -> Iterator[Event]:
        for r in reminders:
            event = Event()
            event.add("uid", f"{r.key}@kehu")
            event.add("dtstamp", stamp)
            event.add("dtstart", r.due)
            event.add("dtend", r.due + dt.timedelta(days=1))
            event.add("summary", f"{r.title} — {r.customer_name}")
            event.add("description", "\n".join(filter(None, [r.detail, f"kehu reminders done {r.key}"])))
            event.add("categories", [r.rule])
            yield event
    return write_calendar(handle, cal, events())


def _keeper(store: Store, owner: str | None, rule_names: tuple[str, ...]) -> Callable[[Reminder], bool] | None:
    """Which reminders ``--owner`` and ``--rule`` keep (None: every one)."""
    mine = set(store.index.ids(owner=owner)) if owner else None
    if mine is None and not rule_names:
        return None
    return lambda r: ((mine is None or r.customer_id in mine)
                      and (not rule_names or r.rule in rule_names or r.key.split(":")[0] in rule_names))


@click.group("reminders", invoke_without_command=True)
@click.option(
    "--days", type=Whole(min=1, max=3660), default=7, show_default=True,
    help="How many days ahead, today included."
)
@click.option("--from", "start", type=DATE, help="First day (default: today).")
@click.option("--owner", type=REP, help="Only customers of this rep.")
@click.option("--rule", "rule_names", multiple=True, help="Only these rules (greeting, birthday ...).")
@click.option(
    "--ics",
    "ics",
    type=TypedPath(dir_okay=False),  # as typed (check_target): a Path drops the / of "new/"
    help="Also write the reminders as an iCalendar file.",
)
@click.option(
    "--day-list",
    "day",
    is_flag=True,
    help="Only the day's list, as Today shows it: what is due by the first day, each group cut to "
    "what one person finishes in a day.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
@click.pass_context
def reminders_group(
    click_ctx: click.Context,
    ctx: Context,
    days: int,
    start: dt.date | None,
    owner: str | None,
    rule_names: tuple[str, ...],
    ics: str | None,
    day: bool,
    as_json: bool,
) -> None:
    """What to do for which customer in the next --days days, by group: complaints due,
    payments overdue, key-account visits, birthdays and holidays, greetings and surveys,
    keeping in touch; within a group the earliest first. A missed reminder shows until its
    rule's lapse_days have passed (kehu.yaml)."""
    if click_ctx.invoked_subcommand is not None:
        return
    store = _store(ctx)
    _check_rules(store, rule_names)
    target = check_target(store, ics, "--ics") if ics is not None else None  # before any work: no folder is created
    first = start or store.today
    last = first if day else first + dt.timedelta(days=days - 1)
    # found customer by customer and sorted in parts, not held (reminder_sorting): a store's
    # every reminder gathered whole was 388 MB at 10 000 customers
    with sorted_due(store, first, last, keep=_keeper(store, owner, rule_names), order=group_order) as due:
        totals = None
        found: Iterable[Reminder] = due
        count, counts = len(due), dict(due.counts)
        if day:
            work = day_list_of(due, first)
            found, totals = work.reminders, {g.key: total for g, _, total in work.counts}
            count, counts = len(work.reminders), {g.key: n for g, n, _ in work.counts}
        if target is not None:
            write_target(target, lambda path: _write_ics(path, found, store))
            click.echo(_("wrote {count} reminders to {path}").format(count=count, path=shown_path(target)),
                       err=True)
            if note := shared_note(store, target):
                click.echo(note, err=True)
        if as_json:
            emit_json_list(due.objects() if not day else (r.model_dump(mode="json") for r in found))
            say_left_out(ctx.unlisted(), REMINDED)  # their reminders are not computed: said, never silent
            say_unread_records(ctx.unread_records())  # a broken purchase is collected by no reminder
            return
        group = None
        for r in found:
            if r.group != group:
                group = r.group
                more = (" " + _("of {total} due").format(total=totals[group])
                        if totals and totals[group] > counts[group] else "")
                label = _(GROUP_LABELS[group]) if group in GROUP_LABELS else group
                click.echo(f"== {label}: {counts[group]}{more} ==")
            late = "  " + _("(overdue)") if r.due < first else ""
            # a name (a zero-width space in a second 张三), and a rule's title and detail (a third
            # party's words), by the rule of every listing (shown.visible): as stored, alike to the first
            click.echo(f"{r.due}  {visible(r.customer_name)}  {visible(r.title)}{late}\n"
                       f"    {visible(r.detail or '')}  [{r.key}]")
    waiting = sum(totals.values()) - count if totals else 0
    more = " " + _("({count} more wait for another day)").format(count=waiting) if waiting else ""
    click.echo(ngettext("{n} reminder", "{n} reminders", count).format(n=count) + more, err=True)
    say_left_out(ctx.unlisted(), REMINDED)
    say_unread_records(ctx.unread_records())


@reminders_group.command("done")
@click.argument("key")
@click.option("--note", help="What was done (kept in the ledger and the interaction).")
@click.option(
    "--kind",
    type=click.Choice([k for k in INTERACTION_KINDS if k != "purchase"]),
    default="note",
    show_default=True,
    help="The interaction to record.",
)
@pass_ctx
def reminders_done(ctx: Context, key: str, note: str | None, kind: str) -> None:
    """Mark the reminder KEY done: it stops showing, and an interaction records it."""
    reminder = mark_done(_store(ctx), key, note, kind=kind)
    click.echo(_("done: {title} — {name}").format(title=visible(reminder.title), name=visible(reminder.customer_name)),
               err=True)


@reminders_group.command("snooze")
@click.argument("key")
@click.option("--until", type=DATE, required=True, help="Show it again on this day.")
@pass_ctx
def reminders_snooze(ctx: Context, key: str, until: dt.date) -> None:
    """Hide the reminder KEY until a later day."""
    reminder = snooze(_store(ctx), key, until)
    click.echo(_("snoozed until {day}: {title} — {name}").format(
        day=until, title=visible(reminder.title), name=visible(reminder.customer_name)), err=True)
