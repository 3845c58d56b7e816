"""``kehu report revenue|products|abc|rfm|lifecycle|churn|receivables``: analytics in the terminal.

The figures come from :mod:`kehu_core.reports` (one module per report); this module only prints them as
Rich tables with bars, or as JSON (``--json``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click
from rich.bar import Bar
from rich.table import Table

from .. import reports as an
from . import Context, emit_json, pass_ctx, review_cmds
from .records import DATE
from .render import console

STAGE_NAMES = {
    "not_yet": "尚未建档 not yet", "prospect": "潜在 prospect", "new": "新客 new",
    "active": "活跃 active", "dormant": "沉睡 dormant", "churned": "流失 churned",
}
BUCKET_NAMES = {"not_due": "未到期 not due", "0-30": "0–30", "31-60": "31–60",
                "61-90": "61–90", "90+": "90+"}


def _money(value: Decimal | float) -> str:
    return f"{float(value):,.2f}"


def _trend(change: float | None) -> str:
    if change is None:
        return "[cyan]new[/]"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    colour = "green" if change > 0 else "red" if change < 0 else "white"
    return f"[{colour}]{arrow} {change:+.1f}%[/]"


def _bar(value: float, top: float, width: int = 20) -> Bar:
    return Bar(size=top or 1, begin=0, end=value, width=width)


NUMERIC = {"Revenue", "Share", "Units", "Buyers", "Orders", "CLV", "Amount", "Days", "Customers",
           "Purchases", "Now", "Before", "Trend"}


def _table(title: str, columns: list[str], **kw: Any) -> Table:
    """A table whose number columns keep their width (text columns wrap instead)."""
    table = Table(title=title, header_style="bold", **kw)
    for name in columns:
        if name in NUMERIC:
            table.add_column(name, justify="right", no_wrap=True)
        else:
            table.add_column(name, overflow="fold")
    return table


def common(default_period: str | None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--today/--as-of and --json; with a default period also --period, --since, --until."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func = click.option("--json", "as_json", is_flag=True, help="Print JSON only.")(func)
        if default_period:
            func = click.option("--until", type=DATE,
                                help="Last day of the period (included); default: --today.")(func)
            func = click.option("--since", type=DATE,
                                help="First day of the period (instead of --period).")(func)
            func = click.option("--period", default=default_period, show_default=True,
                                help="Length of the period ending --today: 90d, 12w, 6m, 1y.")(func)
        func = click.option("--today", "--as-of", "today", type=DATE,
                            help="The day the report is made on (default: kehu --today, else today).")(func)
        return func
    return decorate


def _period(today: dt.date, period: str, since: dt.date | None, until: dt.date | None) -> an.Period:
    try:
        if since:
            return an.Period.between(since, until or today)
        return an.Period.ending(until or today, period)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@click.group("report")
def report_group() -> None:
    """Analytics: revenue by month, products, ABC/Pareto, RFM, lifecycle, churn, receivables,
    complaints, credit, the per-rep review, referrals."""


report_group.add_command(review_cmds.credit)
report_group.add_command(review_cmds.reps)
report_group.add_command(review_cmds.referrals)


# --- revenue by month -----------------------------------------------------------------------


@report_group.command("revenue")
@common(None)
@click.option("--months", type=click.IntRange(1, 120), default=12, show_default=True,
              help="How many calendar months, ending with the month of --today.")
@pass_ctx
def revenue(ctx: Context, today: dt.date | None, as_json: bool, months: int) -> None:
    """Revenue (营业额) by calendar month, up to --today (the dashboard's chart)."""
    report = an.revenue_by_month(ctx.store, ctx.at(today), months)
    if as_json:
        emit_json(an.as_json(report))
        return
    table = _table(f"Revenue by month up to {report.today}", ["Month", "Revenue", "Purchases", ""])
    top = max((float(m.revenue) for m in report.months), default=0.0)
    for m in report.months:
        table.add_row(m.month, _money(m.revenue), str(m.purchases), _bar(float(m.revenue), top))
    console.print(table)
    console.print(f"Total {_money(report.total)}.")


# --- products -------------------------------------------------------------------------------


@report_group.command("products")
@common("90d")
@click.option("--limit", type=int, help="Show at most this many products (JSON: all).")
@pass_ctx
def products(ctx: Context, today: dt.date | None, period: str, since: dt.date | None,
             until: dt.date | None, as_json: bool, limit: int | None) -> None:
    """Hot and slow sellers (热销/滞销) by revenue, units and buyers, vs the previous period."""
    report = an.products_report(ctx.store, _period(ctx.at(today), period, since, until))
    if as_json:
        emit_json(an.as_json(report) | {
            "hot": [p.name for p in report.hot], "slow": [p.name for p in report.slow]})
        return
    table = _table(
        f"Products {report.period.label()}  (previous: {report.previous.label()})",
        ["Product", "", "Revenue", "Share", "Units", "Buyers", "Trend", "Last sold"],
    )
    for row in report.products[:limit] if limit else report.products:
        status = {"热销": "[bold green]热销[/]", "滞销": "[yellow]滞销[/]"}.get(row.status, "")
        table.add_row(
            row.name, status, _money(row.revenue), f"{row.share:.1f}%",
            f"{row.units:g}", str(row.buyers),
            _trend(row.revenue_change), str(row.last_sold or ""),
        )
    console.print(table)
    console.print(
        f"Revenue {_money(report.revenue)} (previous period {_money(report.prev_revenue)}, "
        f"{_trend(an.percent_change(report.revenue, report.prev_revenue))}). "
        "热销 = ABC class A of product revenue (the first 80 %); "
        "滞销 = class C, or sold before and not in this period (Last sold: when it last did)."
    )


# --- ABC / Pareto ---------------------------------------------------------------------------


@report_group.command("abc")
@common("180d")
@click.option("--customers", "show", type=int, default=10, show_default=True,
              help="How many top customers to list.")
@pass_ctx
def abc(ctx: Context, today: dt.date | None, period: str, since: dt.date | None,
        until: dt.date | None, as_json: bool, show: int) -> None:
    """Pareto: revenue share of the top 20 % of customers, ABC classes, change vs before."""
    report = an.abc_report(ctx.store, _period(ctx.at(today), period, since, until))
    if as_json:
        emit_json(an.as_json(report))
        return
    cur, prev = report.current, report.previous
    table = Table(title="ABC / Pareto", header_style="bold")
    table.add_column("")
    table.add_column(f"This period\n{cur.period.label()}", justify="right")
    table.add_column(f"Previous\n{prev.period.label()}", justify="right")
    table.add_row("Buyers", str(cur.buyers), str(prev.buyers))
    table.add_row("Revenue", _money(cur.revenue), _money(prev.revenue))
    table.add_row(
        "Top 20 % of buyers bring",
        f"[bold]{cur.top20_share:.1f}%[/] ({cur.top20_customers})",
        f"{prev.top20_share:.1f}% ({prev.top20_customers})",
    )
    for name in "ABC":
        c, p = cur.classes[name], prev.classes[name]
        table.add_row(
            f"Class {name}", f"{c['customers']} customers, {c['share']:.1f}%",
            f"{p['customers']} customers, {p['share']:.1f}%",
        )
    console.print(table)

    curve = Table(title="Cumulative revenue share by share of buyers", header_style="bold")
    for title in ("Top", "This period", "", "Previous"):
        curve.add_column(title, justify="right" if title != "" else "left")
    for decile, (now, before) in enumerate(zip(cur.curve, prev.curve, strict=True), start=1):
        curve.add_row(f"{decile * 10}%", f"{now:.1f}%", _bar(now, 100), f"{before:.1f}%")
    console.print(curve)

    moves = Table(title="Movements: previous class → this period", header_style="bold")
    moves.add_column("from \\ to")
    for name in ("A", "B", "C", "-"):
        moves.add_column(name if name != "-" else "no purchase", justify="right")
    for src in ("A", "B", "C", "-"):
        moves.add_row(src if src != "-" else "no purchase",
                      *[str(report.movements[src][dst]) for dst in ("A", "B", "C", "-")])
    console.print(moves)

    if show and report.customers:
        top = _table(f"Top {min(show, len(report.customers))} customers",
                     ["Name", "Owner", "Revenue", "Share", "Class", "Before"])
        for row in report.customers[:show]:
            top.add_row(row.name, row.owner or "", _money(row.revenue), f"{row.share:.1f}%",
                        row.abc, row.prev_abc)
        console.print(top)
    console.print("80/20 is a snapshot, not a rule: compare periods before acting on it.")


# --- RFM and lifecycle ----------------------------------------------------------------------


@report_group.command("rfm")
@common(None)
@click.option("--customers", "show", type=int, default=15, show_default=True,
              help="How many customers to list (highest CLV first).")
@pass_ctx
def rfm_cmd(ctx: Context, today: dt.date | None, as_json: bool, show: int) -> None:
    """RFM scores and segments of every buyer, lifecycle stages and a CLV estimate each."""
    report = an.rfm_report(ctx.store, ctx.at(today))
    if as_json:
        emit_json(an.as_json(report))
        return
    table = Table(title=f"RFM segments on {report.today}", header_style="bold")
    for title in ("Segment", "Customers", "Revenue", "Share", "", "CLV"):
        table.add_column(title, justify="left" if title in ("Segment", "") else "right")
    for name, seg in report.segments.items():
        table.add_row(name, str(seg["customers"]), _money(seg["revenue"]), f"{seg['share']:.1f}%",
                      _bar(seg["share"], 100), _money(seg["clv"]))
    console.print(table)
    _print_stages(report.stages)
    if show and report.customers:
        rows = _table("Customers by CLV estimate",
                      ["Name", "Owner", "RFM", "Segment", "Stage", "Orders", "Revenue", "CLV"])
        for c in report.customers[:show]:
            rows.add_row(c.name, c.owner or "", c.code, c.segment, c.stage,
                         str(c.purchases), _money(c.revenue), _money(c.clv))
        console.print(rows)
    s = report.settings
    console.print(
        f"CLV = revenue so far + average order × orders a year × {s.clv_years:g} years × "
        f"P(still buying: active 1, dormant 0.5, churned 0) × margin {s.margin:g}."
    )


def _print_stages(counts: dict[str, int]) -> None:
    table = Table(title="Lifecycle", header_style="bold")
    table.add_column("Stage")
    table.add_column("Customers", justify="right")
    table.add_column("")
    top = max(counts.values(), default=0)
    for stage, n in counts.items():
        table.add_row(STAGE_NAMES[stage], str(n), _bar(n, top))
    console.print(table)


@report_group.command("lifecycle")
@common(None)
@click.option("--period", default="90d", show_default=True,
              help="Count movements since this long before --today (90d, 6m ...).")
@pass_ctx
def lifecycle(ctx: Context, today: dt.date | None, as_json: bool, period: str) -> None:
    """Prospect / new / active / dormant / churned counts, and who moved between them."""
    day = ctx.at(today)
    try:
        since = day - an.parse_span(period)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    report = an.lifecycle_report(ctx.store, day, since)
    if as_json:
        emit_json(an.as_json(report))
        return
    table = Table(title=f"Lifecycle on {report.today} (vs {report.since})", header_style="bold")
    table.add_column("Stage")
    table.add_column("Now", justify="right")
    table.add_column("")
    table.add_column("Before", justify="right")
    top = max(report.counts.values(), default=0)
    for stage in an.STAGES:
        n = report.counts[stage]
        table.add_row(STAGE_NAMES[stage], str(n), _bar(n, top), str(report.before[stage]))
    console.print(table)
    moves = Table(title=f"Movements since {report.since}", header_style="bold")
    moves.add_column("from \\ to")
    for stage in an.STAGES:
        moves.add_column(stage, justify="right")
    for src, row in report.movements.items():
        if any(row.values()):
            moves.add_row(STAGE_NAMES[src], *[str(row[s]) for s in an.STAGES])
    console.print(moves)
    s = report.settings
    console.print(
        f"new: first purchase in the last {s.new_days} days; active: last purchase in the last "
        f"{s.active_days} days; dormant: in the last {s.churn_days}; churned: longer ago "
        "(set under reports: in kehu.yaml)."
    )


# --- churn ----------------------------------------------------------------------------------


@report_group.command("churn")
@common(None)
@click.option("--customers", "show", type=int, default=20, show_default=True,
              help="How many churned customers to list (highest revenue first).")
@pass_ctx
def churn(ctx: Context, today: dt.date | None, as_json: bool, show: int) -> None:
    """Who stopped buying, when, in which group, their last contacts and complaints."""
    report = an.churn_report(ctx.store, ctx.at(today))
    if as_json:
        emit_json(an.as_json(report))
        return
    n = len(report.churned)
    console.print(
        f"[bold]{n}[/] of {report.buyers} buyers churned (no purchase for {report.churn_days}+ "
        f"days on {report.today}); {report.dormant} more are dormant. "
        f"{report.with_complaints} of the churned complained ({report.with_open_complaints} "
        f"still open). They brought {_money(report.revenue_lost)} in their last year."
    )
    if report.by_month:
        months = Table(title="Last purchase month of churned customers", header_style="bold")
        months.add_column("Month")
        months.add_column("Customers", justify="right")
        months.add_column("")
        top = max(report.by_month.values())
        for month, count in report.by_month.items():
            months.add_row(month, str(count), _bar(count, top))
        console.print(months)
    if report.by_group:
        groups = Table(title="By group and rep", header_style="bold")
        groups.add_column("Group")
        groups.add_column("Customers", justify="right")
        groups.add_column("Rep")
        groups.add_column("Customers", justify="right")
        g, o = list(report.by_group.items()), list(report.by_owner.items())
        for i in range(max(len(g), len(o))):
            gg = g[i] if i < len(g) else ("", "")
            oo = o[i] if i < len(o) else ("", "")
            groups.add_row(str(gg[0]), str(gg[1]), str(oo[0]), str(oo[1]))
        console.print(groups)
    if show and report.churned:
        table = _table("Churned customers", ["Name", "Group", "Owner", "Last bought", "Revenue",
                                             "Last contacts", "Complaints"], show_lines=True)
        for c in report.churned[:show]:
            contacts = "\n".join(f"{e['date']} {e['kind']}: {e['text'] or ''}"
                                 for e in c.last_interactions)
            complaints = "\n".join(
                f"{e['date']} [{'red' if e['status'] == 'open' else 'green'}]{e['status']}[/]: "
                f"{e['text'] or ''}" for e in c.complaints)
            table.add_row(c.name, c.group, c.owner or "",
                          f"{c.last_purchase} ({c.days_since}d)", _money(c.revenue),
                          contacts, complaints)
        console.print(table)


# --- receivables ----------------------------------------------------------------------------


@report_group.command("receivables")
@common(None)
@click.option("--items", "show", type=int, default=20, show_default=True,
              help="How many unpaid purchases to list (most overdue first).")
@pass_ctx
def receivables(ctx: Context, today: dt.date | None, as_json: bool, show: int) -> None:
    """Unpaid purchases (应收/逾期未收) by days past due (0–30, 31–60, 61–90, 90+) and by rep."""
    report = an.receivables_report(ctx.store, ctx.at(today))
    if as_json:
        emit_json(an.as_json(report))
        return
    buckets = Table(title=f"Receivables on {report.today}: {_money(report.total)} unpaid",
                    header_style="bold")
    for title in ("Days past due", "Purchases", "Amount", ""):
        buckets.add_column(title, justify="right" if title in ("Purchases", "Amount") else "left")
    top = max((float(b["amount"]) for b in report.buckets.values()), default=0.0)
    for name, b in report.buckets.items():
        buckets.add_row(BUCKET_NAMES[name], str(b["count"]), _money(b["amount"]),
                        _bar(float(b["amount"]), top))
    console.print(buckets)
    if report.by_rep:
        reps = Table(title="By rep", header_style="bold")
        reps.add_column("Rep")
        for name in (*an.RECEIVABLE_BUCKETS, "total"):
            reps.add_column(BUCKET_NAMES.get(name, name), justify="right")
        for rep, amounts in report.by_rep.items():
            reps.add_row(rep, *[_money(amounts[k]) for k in (*an.RECEIVABLE_BUCKETS, "total")])
        console.print(reps)
    if show and report.items:
        items = _table("Most overdue", ["Customer", "Rep", "Bought", "Due", "Amount", "Days"])
        for r in report.items[:show]:
            items.add_row(r.name, r.rep, str(r.date), str(r.due or "-"), _money(r.amount),
                          str(r.days_overdue))
        console.print(items)
    console.print("Days past due count from the due date, or from the purchase date when "
                  "there is none; the rep is the customer's owner.")


# --- complaints -----------------------------------------------------------------------------


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} h"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@report_group.command("complaints")
@common(None)
@pass_ctx
def complaints_report(ctx: Context, today: dt.date | None, as_json: bool) -> None:
    """Complaint handling (投诉处理): time to acknowledge and to resolve, the share in time,
    and how many customers bought again after a resolved complaint."""
    from ..reports.complaints import complaint_report

    report = complaint_report(ctx.store, ctx.at(today))
    if as_json:
        emit_json(an.as_json(report))
        return
    states = " · ".join(f"{n} {s}" for s, n in report.by_state.items())
    console.print(f"[bold]Complaints up to {report.today}[/]: {report.total} ({states}); "
                  f"{report.overdue_now} overdue now")
    table = _table(f"Handling (answer within {report.respond_within_hours} h, resolve within "
                   f"{report.resolve_within_days} days)",
                   ["Step", "Complaints", "In time", "Share", "Mean", "Median", "Longest"])
    for name, t in (("acknowledge 答复", report.acknowledge), ("resolve 解决", report.resolve)):
        table.add_row(name, str(t.count), str(t.in_time), _share(t.share_in_time),
                      _hours(t.mean_hours), _hours(t.median_hours), _hours(t.max_hours))
    console.print(table)
    if report.resolved_without_moment:
        console.print(f"{report.resolved_without_moment} resolved before kehu recorded when "
                      "(not in the times above).")
    console.print(f"Bought again after a resolved complaint: {report.customers_bought_again} of "
                  f"{report.customers_resolved} customers ({_share(report.comeback_share)}; "
                  f"the seeds say {_share(report.seed_comeback_share)} come back when it is resolved well).")

