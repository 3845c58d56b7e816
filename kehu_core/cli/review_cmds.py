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
from . import Context, emit_json, pass_ctx
from .records import DATE
from .render import console


def _money(value: Decimal | float | None) -> str:
    return "-" if value is None else f"{float(value):,.2f}"


def _today_option(func):  # type: ignore[no-untyped-def]
    func = click.option("--json", "as_json", is_flag=True, help="Print JSON only.")(func)
    return click.option("--today", "--as-of", "today", type=DATE,
                        help="The day the report is made on (default: kehu --today, else today).")(func)


# --- credit ---------------------------------------------------------------------------------

SUGGESTION_NAMES = {"up": "[green]▲ up 提额[/]", "down": "[red]▼ down 降额[/]", "keep": "= keep"}


@click.command("credit")
@_today_option
@click.option("--owner", help="Only this rep's customers and collections.")
@pass_ctx
def credit(ctx: Context, today: dt.date | None, as_json: bool, owner: str | None) -> None:
    """Credit (赊账额度): how each customer pays (on time, late, days overdue), a suggested
    limit up or down with the reason, and the collection plan (回款计划) of the coming weeks
    per rep. Limits and thresholds: `credit:` in kehu.yaml."""
    from ..reports.credit import credit_report

    report = credit_report(ctx.store, ctx.at(today))
    if owner:
        report.customers = [c for c in report.customers if c.rep == owner]
        report.plan = {rep: weeks for rep, weeks in report.plan.items() if rep == owner}
        report.suggestions = {s: sum(1 for c in report.customers if c.suggestion == s) for s in report.suggestions}
    if as_json:
        emit_json(an.as_json(report))
        return
    console.print(f"[bold]Credit on {report.today}[/]: {_money(report.outstanding)} owed, "
                  f"{_money(report.overdue)} overdue; payments since {report.window.start} "
                  f"(paid within {report.grace_days} days of due counts as on time)")
    table = Table(title="Customers", header_style="bold")
    for title in ("Customer", "Rep", "Limit", "Owed", "Overdue", "Days", "On time", "Late",
                  "Suggest", "New limit", "Why"):
        table.add_column(title, justify="right" if title in (
            "Limit", "Owed", "Overdue", "Days", "On time", "Late", "New limit") else "left",
            overflow="fold")
    for c in report.customers:
        table.add_row(c.name, c.rep, _money(c.limit), _money(c.outstanding), _money(c.overdue),
                      str(c.days_overdue or ""), str(c.on_time), str(c.late),
                      SUGGESTION_NAMES[c.suggestion], _money(c.suggested_limit), c.reason)
    console.print(table)
    for rep, weeks in report.plan.items():
        plan = Table(title=f"Collection plan 回款计划: {rep}", header_style="bold")
        for title in ("When", "Amount", "Customers"):
            plan.add_column(title, justify="right" if title == "Amount" else "left", overflow="fold")
        for week in weeks:
            when = {"overdue": "overdue now 已逾期", "later": f"from {week.start} 以后"}.get(
                week.label, f"{week.start} – {week.end}")
            who = ", ".join(f"{i.name} {_money(i.amount)} ({i.due})" for i in week.items)
            plan.add_row(when, _money(week.amount), who)
        console.print(plan)
