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


# --- the supervisor's review per rep ----------------------------------------------------------

REP_LABELS = {
    "customers": "客户 customers", "new_customers": "新客户 new",
    "cards_updated": "卡更新 cards updated", "completeness": "完整度 complete %",
    "visits": "拜访 visits", "visits_planned": "计划 planned", "calls": "电话 calls",
    "sales": "销售 sales", "collections": "回款 collected", "collection_rate": "回款率 % of sales",
    "overdue": "逾期 overdue", "complaints": "投诉 complaints", "complaints_open": "未结 open",
    "complaints_resolved_in_time": "按时解决 in time",
    "complaints_resolved_late": "超时解决 late",
    "reminders_done": "提醒完成 done", "reminders_missed": "错过 missed",
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
@click.option("--owner", help="Only this rep.")
@pass_ctx
def reps(ctx: Context, today: dt.date | None, as_json: bool, unit: str, owner: str | None) -> None:
    """The supervisor's review (主管周检) per rep for the week, month or quarter holding
    --today, each figure with its change from the one before: customers, cards updated and
    their completeness, visits and calls against planned, new customers, sales and collections,
    overdue receivables, complaints, reminders done and missed."""
    from ..reports.reps import METRICS, reps_report

    report = reps_report(ctx.store, ctx.at(today), unit, owner)
    if as_json:
        emit_json(an.as_json(report))
        return
    table = Table(title=f"Reps {report.period.label()} (vs {report.previous.label()})", header_style="bold")
    table.add_column("")
    columns = [(row.rep, row.figures) for row in report.reps]
    if len(report.reps) > 1:
        columns.append(("all 合计", report.total))
    for name, _ in columns:
        table.add_column(name, justify="right")
    for metric in METRICS:
        cells = []
        for _, figures in columns:
            f = figures[metric]
            change = _change(f.change)
            cells.append(_figure(f.value) + (f" {change}" if change else ""))
        table.add_row(REP_LABELS[metric], *cells)
    console.print(table)
    console.print(f"Completeness: share of {', '.join(report.card_fields)} filled in (reps: card_fields "
                  "in kehu.yaml), as the cards are now. Planned visits: key-account visit reminders due.")


# --- referrals ------------------------------------------------------------------------------


@click.command("referrals")
@_today_option
@pass_ctx
def referrals(ctx: Context, today: dt.date | None, as_json: bool) -> None:
    """Referrals (转介绍): who referred whom, the referral tree, revenue from referred
    customers, conversion (referred customers who bought), the points given and the thanks
    still owed (the thank-referrer reminders)."""
    from rich.tree import Tree

    from ..reports.referrals import referrals_report

    report = referrals_report(ctx.store, ctx.at(today))
    if as_json:
        emit_json(an.as_json(report))
        return
    console.print(f"[bold]Referrals on {report.today}[/]: {report.referred} customers referred, "
                  f"{report.converted} bought ({report.conversion:g}%), revenue {_money(report.revenue)} "
                  f"({report.revenue_share:g}% of the shop's); {report.bonus_points} points given; "
                  f"{report.thanks_owed} thanks still owed")
    table = Table(title="Referrers 推荐人", header_style="bold")
    for title in ("Referrer", "Owner", "Referred", "Bought", "Conversion", "Revenue", "Points", "Thanks owed"):
        table.add_column(title, justify="left" if title in ("Referrer", "Owner") else "right")
    for r in report.referrers:
        table.add_row(r.name, r.owner or "", str(len(r.referred)), str(r.converted), f"{r.conversion:g}%",
                      _money(r.revenue), str(r.bonus_points), str(r.thanks_owed or ""))
    console.print(table)
    if report.tree:
        tree = Tree("推荐关系 who brought whom")

        def grow(branch: Tree, node: object) -> None:
            for child in node.referred:  # type: ignore[attr-defined]
                mark = f"¥{_money(child.revenue)}" if child.bought else "[dim]not bought yet[/]"
                grow(branch.add(f"{child.name} {mark}"), child)

        for root in report.tree:
            grow(tree.add(f"[bold]{root.name}[/]"), root)
        console.print(tree)
