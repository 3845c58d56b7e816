"""``kehu report credit|reps|referrals``: the supervisor's reports (credit and collections, the
per-rep review, referrals). The figures come from :mod:`kehu_core.reports` (one module each);
this module only prints them, or their JSON (``--json``). ``report_cmds`` adds these commands to
the ``kehu report`` group."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import click
from rich.table import Table

from .. import reports as an
from ..i18n import N_, _, format_day
from ..labels import fields_label
from .context import Context, emit_json, pass_ctx
from .options import REP
from .records import DATE
from .render import print_report, styled, terminal_safe


def _money(value: Decimal | float | None) -> str:
    return "-" if value is None else f"{float(value):,.2f}"


def _today_option(func):  # type: ignore[no-untyped-def]
    func = click.option("--json", "as_json", is_flag=True, help="Print JSON only.")(func)
    return click.option("--today", "--as-of", "today", type=DATE,
                        help="The day the report is made on (default: kehu --today, else today).")(func)


# --- credit ---------------------------------------------------------------------------------

SUGGESTION_NAMES = {"up": ("[green]▲ ", N_("raise"), "[/]"), "down": ("[red]▼ ", N_("lower"), "[/]"),
                    "keep": ("= ", N_("keep"), "")}


def _suggestion(name: str) -> str:
    before, word, after = SUGGESTION_NAMES[name]
    return before + _(word) + after


@click.command("credit")
@_today_option
@click.option("--owner", type=REP, help="Only this rep's customers and collections.")
@pass_ctx
def credit(ctx: Context, today: dt.date | None, as_json: bool, owner: str | None) -> None:
    """Credit: how each customer pays (on time, late, days overdue), a suggested
    limit up or down with the reason, and the collection plan of the coming weeks
    per rep. Limits and thresholds: `credit:` in kehu.yaml."""
    from ..reports.credit import credit_report

    report = credit_report(ctx.store, ctx.at(today), owner or None)
    if as_json:
        emit_json(an.as_json(report))
        return
    print_report(styled(_("[bold]Credit on {today}[/]: {outstanding} owed, {overdue} overdue; payments since "
                           "{start} (paid within {days} days of due counts as on time)").format(
        today=report.today, outstanding=_money(report.outstanding), overdue=_money(report.overdue),
        start=report.window.start, days=report.grace_days)))
    table = Table(title=_("Per customer"), header_style="bold")
    for title in (N_("Customer"), N_("Rep"), N_("Limit"), N_("Owed"), N_("Overdue"), N_("Days"), N_("On time"),
                  N_("Late"), N_("Suggest"), N_("New limit"), N_("Why")):
        table.add_column(_(title), justify="right" if title in (
            "Limit", "Owed", "Overdue", "Days", "On time", "Late", "New limit") else "left",
            overflow="fold")
    for c in report.customers:
        table.add_row(terminal_safe(c.name), terminal_safe(c.rep), _money(c.limit), _money(c.outstanding),
                      _money(c.overdue), str(c.days_overdue or ""), str(c.on_time), str(c.late),
                      styled(_suggestion(c.suggestion)), _money(c.suggested_limit), c.reason)
    print_report(table)
    for rep, weeks in report.plan.items():
        plan = Table(title=_("Collection plan: {rep}").format(rep=terminal_safe(rep)), header_style="bold")
        for title in (N_("When"), N_("Amount"), N_("Who owes it")):
            plan.add_column(_(title), justify="right" if title == "Amount" else "left", overflow="fold")
        for week in weeks:
            when = {"overdue": _("overdue now"), "later": _("from {start} on").format(start=week.start)}.get(
                week.label, f"{week.start} – {week.end}")
            who = terminal_safe(", ".join(f"{i.name} {_money(i.amount)} ({i.due})" for i in week.items))
            plan.add_row(when, _money(week.amount), who)
        print_report(plan)


# --- the supervisor's review per rep ----------------------------------------------------------

REP_LABELS = {  # English, marked for the catalog: shown through _()
    "customers": N_("customers"), "new_customers": N_("new customers"),
    "cards_updated": N_("cards updated"), "completeness": N_("complete %"),
    "visits": N_("visits"), "visits_planned": N_("visits planned"), "calls": N_("calls"),
    "sales": N_("sales"), "collections": N_("collected"), "collection_rate": N_("collected, % of sales"),
    "overdue": N_("overdue"), "complaints": N_("complaints"), "complaints_open": N_("complaints open"),
    "complaints_resolved_in_time": N_("resolved in time"),
    "complaints_resolved_late": N_("resolved late"),
    "reminders_done": N_("reminders done"), "reminders_missed": N_("reminders missed"),
}


def _figure(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return _money(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _change(change: object) -> str:
    if change is None:
        return ""
    number = float(change)  # type: ignore[arg-type]
    if number == 0:
        return "[dim]=[/]"
    colour = "green" if number > 0 else "red"
    text = _money(abs(number)) if isinstance(change, Decimal) else f"{abs(number):g}"
    return f"[{colour}]{'▲' if number > 0 else '▼'}{text}[/]"


@click.command("reps")
@_today_option
@click.option("--week", "unit", flag_value="week", default=True, help="This calendar week, Monday to Sunday (default).")
@click.option("--month", "unit", flag_value="month", help="This calendar month.")
@click.option("--quarter", "unit", flag_value="quarter", help="This calendar quarter.")
@click.option("--owner", type=REP, help="Only this rep.")
@pass_ctx
def reps(ctx: Context, today: dt.date | None, as_json: bool, unit: str, owner: str | None) -> None:
    """The supervisor's review per rep for the week, month or quarter holding
    --today, each figure with its change from the one before: customers, cards updated and
    their completeness, visits and calls against planned, new customers, sales and collections,
    overdue receivables, complaints, reminders done and missed."""
    from ..plugin_names import as_warning
    from ..reports.reps import METRICS, card_field_slips, reps_report

    report = reps_report(ctx.store, ctx.at(today), unit, owner)
    for slip in card_field_slips(ctx.store):  # its completeness is lower by a field no card has
        click.echo(as_warning(slip), err=True)
    if as_json:
        emit_json(an.as_json(report))
        return
    table = Table(title=_("Reps {label} (vs {label2})").format(
        label=report.period.label(), label2=report.previous.label()), header_style="bold")
    table.add_column("")
    columns = [(row.rep, row.figures) for row in report.reps]
    if len(report.reps) > 1:
        columns.append((_("all"), report.total))
    for name, _figures in columns:  # a rep's name by the rule of every listing (王芳 + U+200B is another)
        table.add_column(terminal_safe(name), justify="right")
    for metric in METRICS:
        cells = []
        for _name, figures in columns:
            f = figures[metric]
            change = _change(f.change)
            cells.append(styled(_figure(f.value) + (f" {change}" if change else "")))
        table.add_row(_(REP_LABELS[metric]), *cells)
    print_report(table)
    print_report(_("Completeness: share of {fields} filled in (`reps: card_fields` in kehu.yaml), as the cards "
                    "are now. Planned visits: key-account visit reminders due.").format(
        fields=_(", ").join(map(fields_label, report.card_fields))))


# --- referrals ------------------------------------------------------------------------------


@click.command("referrals")
@_today_option
@pass_ctx
def referrals(ctx: Context, today: dt.date | None, as_json: bool) -> None:
    """Referrals: who referred whom, the referral tree, revenue from referred
    customers, conversion (referred customers who bought), the points given and the thanks
    still owed (the thank-referrer reminders)."""
    from rich.text import Text

    from ..reports.referrals import drawn_tree, referrals_report, summary

    report = referrals_report(ctx.store, ctx.at(today))
    if as_json:
        emit_json(an.as_json(report))
        return
    print_report(styled(_("[bold]Referrals on {day}[/]: {summary}").format(
        day=format_day(report.today), summary=summary(report, _money))))
    table = Table(title=_("Referrers"), header_style="bold")
    for title in (N_("Referrer"), N_("Owner"), N_("Referred"), N_("Bought"), N_("Conversion"), N_("Revenue"),
                  N_("Points"), N_("Thanks owed")):
        table.add_column(_(title), justify="left" if title in ("Referrer", "Owner") else "right")
    for r in report.referrers:
        table.add_row(Text(terminal_safe(r.name)), Text(terminal_safe(r.owner or "")), str(len(r.referred)),
                      str(r.converted), f"{r.conversion:g}%", _money(r.revenue), str(r.bonus_points),
                      str(r.thanks_owed or ""))
    print_report(table)
    if report.tree:
        print_report(drawn_tree(report, _money))
