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
from rich.markup import escape
from rich.table import Table

from .. import reports as an
from ..i18n import N_, _, format_day
from ..names import shown
from . import review_cmds
from .context import Context, emit_json, pass_ctx, say_left_out
from .records import COUNT, DATE
from .render import print_report, styled

STAGE_NAMES = {
    "not_yet": N_("not yet"), "prospect": N_("prospect"), "new": N_("new"),
    "active": N_("active"), "dormant": N_("dormant"), "churned": N_("churned"),
}


def _stage(stage: str) -> str:
    return _(STAGE_NAMES.get(stage, stage))


def _bucket(name: str) -> str:
    return _(an.BUCKET_LABELS.get(name, name))


def _money(value: Decimal | float) -> str:
    from ..i18n import format_decimal

    return format_decimal(value)  # grouped for the user's locale


def _trend(change: float | None) -> str:
    if change is None:
        return "[cyan]" + _("new") + "[/]"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    colour = "green" if change > 0 else "red" if change < 0 else "white"
    return f"[{colour}]{arrow} {change:+.1f}%[/]"


def _bar(value: float, top: float, width: int = 20) -> Bar:
    return Bar(size=top or 1, begin=0, end=value, width=width)


NUMERIC = {"Revenue", "Share", "Units", "Buyers", "Orders", "CLV", "Amount", "Days", "Customers",
           "Purchases", "Now", "Before", "Trend"}


def _table(title: str, columns: list[str], **kw: Any) -> Table:
    """A table whose number columns keep their width (text columns wrap instead); ``columns``
    are English (marked with N_), shown in the user's language."""
    table = Table(title=title, header_style="bold", **kw)
    for name in columns:
        if name in NUMERIC:
            table.add_column(_(name), justify="right", no_wrap=True)
        else:
            table.add_column(_(name), overflow="fold")
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


@report_group.result_callback()
@pass_ctx
def _say_left_out(ctx: Context, *_results: object, **_params: object) -> None:
    """Every report counts customers from the index, where a customer whose customer.yaml has a
    problem has no profile: said once, after the report (stderr; ``--json`` stays JSON)."""
    say_left_out(ctx.unlisted(), "counted")


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
    """Revenue by calendar month, up to --today (the dashboard's chart)."""
    report = an.revenue_by_month(ctx.store, ctx.at(today), months)
    if as_json:
        emit_json(an.as_json(report))
        return
    table = _table(_("Revenue by month up to {day}").format(day=format_day(report.today)),
                   [N_("Month"), N_("Revenue"), N_("Purchases"), ""])
    top = max((float(m.revenue) for m in report.months), default=0.0)
    for m in report.months:
        table.add_row(m.month, _money(m.revenue), str(m.purchases), _bar(float(m.revenue), top))
    print_report(table)
    print_report(_("Total {amount}.").format(amount=_money(report.total)))


# --- products -------------------------------------------------------------------------------


@report_group.command("products")
@common("90d")
@click.option("--limit", type=COUNT, help="Show at most this many products (JSON: all).")
@pass_ctx
def products(ctx: Context, today: dt.date | None, period: str, since: dt.date | None,
             until: dt.date | None, as_json: bool, limit: int | None) -> None:
    """Hot and slow sellers by revenue, units and buyers, vs the previous period."""
    report = an.products_report(ctx.store, _period(ctx.at(today), period, since, until))
    if as_json:
        emit_json(an.as_json(report) | {
            "hot": [p.name for p in report.hot], "slow": [p.name for p in report.slow]})
        return
    table = _table(
        _("Products {period}  (previous: {previous})").format(period=report.period.label(),
                                                              previous=report.previous.label()),
        [N_("Product"), "", N_("Revenue"), N_("Share"), N_("Units"), N_("Buyers"), N_("Trend"), N_("Last sold")],
    )
    for row in report.products[:limit] if limit else report.products:
        # the report (and --json) keeps 热销 / 滞销; said in the user's language here
        hot, slow = _("hot"), _("slow")
        status = {"热销": f"[bold green]{hot}[/]", "滞销": f"[yellow]{slow}[/]"}.get(row.status, "")
        table.add_row(
            row.name, styled(status), _money(row.revenue), f"{row.share:.1f}%",
            f"{row.units:g}", str(row.buyers),
            styled(_trend(row.revenue_change)), str(row.last_sold or ""),
        )
    print_report(table)
    print_report(styled(
        _("Revenue {amount} (previous period {previous}, {trend}).").format(
            amount=_money(report.revenue), previous=_money(report.prev_revenue),
            trend=_trend(an.percent_change(report.revenue, report.prev_revenue))) + " "
        + _("hot = ABC class A of product revenue (the first 80 %); "
            "slow = class C, or sold before and not in this period (Last sold: when it last did).")
    ))


# --- ABC / Pareto ---------------------------------------------------------------------------


@report_group.command("abc")
@common("180d")
@click.option("--customers", "show", type=COUNT, default=10, show_default=True,
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
    table = Table(title=_("ABC / Pareto"), header_style="bold")
    table.add_column("")
    table.add_column(_("This period") + f"\n{cur.period.label()}", justify="right")
    table.add_column(_("Previous") + f"\n{prev.period.label()}", justify="right")
    table.add_row(_("Buyers"), str(cur.buyers), str(prev.buyers))
    table.add_row(_("Revenue"), _money(cur.revenue), _money(prev.revenue))
    table.add_row(
        _("Top 20 % of buyers bring"),
        styled(f"[bold]{cur.top20_share:.1f}%[/] ({cur.top20_customers})"),
        f"{prev.top20_share:.1f}% ({prev.top20_customers})",
    )
    for name in "ABC":
        c, p = cur.classes[name], prev.classes[name]
        table.add_row(
            _("Class {name}").format(name=name),
            _("{count} customers, {share}%").format(count=c["customers"], share=f"{c['share']:.1f}"),
            _("{count} customers, {share}%").format(count=p["customers"], share=f"{p['share']:.1f}"),
        )
    print_report(table)

    curve = Table(title=_("Cumulative revenue share by share of buyers"), header_style="bold")
    for title in (N_("Top"), N_("This period"), "", N_("Previous")):
        curve.add_column(_(title), justify="right" if title != "" else "left")
    for decile, (now, before) in enumerate(zip(cur.curve, prev.curve, strict=True), start=1):
        curve.add_row(f"{decile * 10}%", f"{now:.1f}%", _bar(now, 100), f"{before:.1f}%")
    print_report(curve)

    moves = Table(title=_("Movements: previous class → this period"), header_style="bold")
    moves.add_column(_("from \\ to"))
    for name in ("A", "B", "C", "-"):
        moves.add_column(name if name != "-" else _("no purchase"), justify="right")
    for src in ("A", "B", "C", "-"):
        moves.add_row(src if src != "-" else _("no purchase"),
                      *[str(report.movements[src][dst]) for dst in ("A", "B", "C", "-")])
    print_report(moves)

    if show and report.customers:
        top = _table(_("Top {count} customers").format(count=min(show, len(report.customers))),
                     [N_("Name"), N_("Owner"), N_("Revenue"), N_("Share"), N_("Class"), N_("Before")])
        for row in report.customers[:show]:
            top.add_row(row.name, row.owner or "", _money(row.revenue), f"{row.share:.1f}%",
                        row.abc, row.prev_abc)
        print_report(top)
    print_report(_("80/20 is a snapshot, not a rule: compare periods before acting on it."))


# --- RFM and lifecycle ----------------------------------------------------------------------


@report_group.command("rfm")
@common(None)
@click.option("--customers", "show", type=COUNT, default=15, show_default=True,
              help="How many customers to list (highest CLV first).")
@pass_ctx
def rfm_cmd(ctx: Context, today: dt.date | None, as_json: bool, show: int) -> None:
    """RFM scores and segments of every buyer, lifecycle stages and a CLV estimate each."""
    report = an.rfm_report(ctx.store, ctx.at(today))
    if as_json:
        emit_json(an.as_json(report))
        return
    table = Table(title=_("RFM segments on {day}").format(day=format_day(report.today)), header_style="bold")
    for title in (N_("Segment"), N_("Customers"), N_("Revenue"), N_("Share"), "", N_("CLV")):
        table.add_column(_(title), justify="left" if title in ("Segment", "") else "right")
    for name, seg in report.segments.items():
        table.add_row(shown(name, ctx.store), str(seg["customers"]), _money(seg["revenue"]), f"{seg['share']:.1f}%",
                      _bar(seg["share"], 100), _money(seg["clv"]))
    print_report(table)
    _print_stages(report.stages)
    if show and report.customers:
        rows = _table(_("Customers by CLV estimate"),
                      [N_("Name"), N_("Owner"), N_("RFM"), N_("Segment"), N_("Stage"), N_("Orders"),
                       N_("Revenue"), N_("CLV")])
        for c in report.customers[:show]:
            rows.add_row(c.name, c.owner or "", c.code, shown(c.segment, ctx.store), _stage(c.stage),
                         str(c.purchases), _money(c.revenue), _money(c.clv))
        print_report(rows)
    s = report.settings
    print_report(
        _("CLV = revenue so far + average order × orders a year × {years} years × "
          "P(still buying: active 1, dormant 0.5, churned 0) × margin {margin}.").format(
            years=f"{s.clv_years:g}", margin=f"{s.margin:g}")
    )


def _print_stages(counts: dict[str, int]) -> None:
    table = Table(title=_("Lifecycle"), header_style="bold")
    table.add_column(_("Stage"))
    table.add_column(_("Customers"), justify="right")
    table.add_column("")
    top = max(counts.values(), default=0)
    for stage, n in counts.items():
        table.add_row(_stage(stage), str(n), _bar(n, top))
    print_report(table)


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
    table = Table(title=_("Lifecycle on {day} (vs {since})").format(day=format_day(report.today), since=report.since),
                  header_style="bold")
    table.add_column(_("Stage"))
    table.add_column(_("Now"), justify="right")
    table.add_column("")
    table.add_column(_("Before"), justify="right")
    top = max(report.counts.values(), default=0)
    for stage in an.STAGES:
        n = report.counts[stage]
        table.add_row(_stage(stage), str(n), _bar(n, top), str(report.before[stage]))
    print_report(table)
    moves = Table(title=_("Movements since {since}").format(since=report.since), header_style="bold")
    moves.add_column(_("from \\ to"))
    for stage in an.STAGES:
        moves.add_column(_stage(stage), justify="right")
    for src, row in report.movements.items():
        if any(row.values()):
            moves.add_row(_stage(src), *[str(row[s]) for s in an.STAGES])
    print_report(moves)
    s = report.settings
    print_report(
        _("new: first purchase in the last {new} days; active: last purchase in the last "
          "{active} days; dormant: in the last {churn}; churned: longer ago "
          "(set under `reports:` in kehu.yaml).").format(new=s.new_days, active=s.active_days, churn=s.churn_days)
    )


# --- churn ----------------------------------------------------------------------------------


@report_group.command("churn")
@common(None)
@click.option("--customers", "show", type=COUNT, default=20, show_default=True,
              help="How many churned customers to list (highest revenue first).")
@pass_ctx
def churn(ctx: Context, today: dt.date | None, as_json: bool, show: int) -> None:
    """Who stopped buying, when, in which group, their last contacts and complaints."""
    report = an.churn_report(ctx.store, ctx.at(today))
    if as_json:
        emit_json(an.as_json(report))
        return
    n = len(report.churned)
    print_report(styled(
        _("[bold]{n}[/] of {buyers} buyers churned (no purchase for {days}+ days on {day}); "
          "{dormant} more are dormant. {complained} of the churned complained ({open} still open). "
          "They brought {lost} in their last year.").format(
            n=n, buyers=report.buyers, days=report.churn_days, day=format_day(report.today), dormant=report.dormant,
            complained=report.with_complaints, open=report.with_open_complaints,
            lost=_money(report.revenue_lost))
    ))
    if report.by_month:
        months = Table(title=_("Last purchase month of churned customers"), header_style="bold")
        months.add_column(_("Month"))
        months.add_column(_("Customers"), justify="right")
        months.add_column("")
        top = max(report.by_month.values())
        for month, count in report.by_month.items():
            months.add_row(month, str(count), _bar(count, top))
        print_report(months)
    if report.by_group:
        groups = Table(title=_("By group and rep"), header_style="bold")
        groups.add_column(_("Group"))
        groups.add_column(_("Customers"), justify="right")
        groups.add_column(_("Rep"))
        groups.add_column(_("Customers"), justify="right")
        g, o = list(report.by_group.items()), list(report.by_owner.items())
        for i in range(max(len(g), len(o))):
            gg = g[i] if i < len(g) else ("", "")
            oo = o[i] if i < len(o) else ("", "")
            groups.add_row(str(shown(gg[0], ctx.store)), str(gg[1]), str(oo[0]), str(oo[1]))
        print_report(groups)
    if show and report.churned:
        table = _table(_("Churned customers"), [N_("Name"), N_("Group"), N_("Owner"), N_("Last bought"),
                                                N_("Revenue"), N_("Last contacts"), N_("Complaints")],
                       show_lines=True)
        from ..labels import kind_label
        from .complaint_cmds import STATE_NAMES

        for c in report.churned[:show]:
            contacts = "\n".join(f"{e['date']} {kind_label(e['kind'])}: {e['text'] or ''}"
                                 for e in c.last_interactions)
            complaints = styled("\n".join(
                f"{e['date']} [{'red' if e['status'] == 'open' else 'green'}]"
                f"{_(STATE_NAMES.get(e['status'], e['status']))}[/]: {escape(e['text'] or '')}" for e in c.complaints))
            table.add_row(c.name, str(shown(c.group, ctx.store)), c.owner or "",
                          f"{c.last_purchase} ({c.days_since}d)", _money(c.revenue),
                          contacts, complaints)
        print_report(table)


# --- receivables ----------------------------------------------------------------------------


@report_group.command("receivables")
@common(None)
@click.option("--items", "show", type=COUNT, default=20, show_default=True,
              help="How many unpaid purchases to list (most overdue first).")
@pass_ctx
def receivables(ctx: Context, today: dt.date | None, as_json: bool, show: int) -> None:
    """Unpaid purchases by days past due (0–30, 31–60, 61–90, 90+) and by rep."""
    report = an.receivables_report(ctx.store, ctx.at(today))
    if as_json:
        emit_json(an.as_json(report))
        return
    buckets = Table(title=_("Receivables on {day}: {amount} unpaid").format(
        day=format_day(report.today), amount=_money(report.total)), header_style="bold")
    for title in (N_("Days past due"), N_("Purchases"), N_("Amount"), ""):
        buckets.add_column(_(title), justify="right" if title in ("Purchases", "Amount") else "left")
    top = max((float(b["amount"]) for b in report.buckets.values()), default=0.0)
    for name, b in report.buckets.items():
        buckets.add_row(_bucket(name), str(b["count"]), _money(b["amount"]),
                        _bar(float(b["amount"]), top))
    print_report(buckets)
    if report.by_rep:
        reps = Table(title=_("By rep"), header_style="bold")
        reps.add_column(_("Rep"))
        for name in (*an.RECEIVABLE_BUCKETS, "total"):
            reps.add_column(_bucket(name), justify="right")
        for rep, amounts in report.by_rep.items():
            reps.add_row(rep, *[_money(amounts[k]) for k in (*an.RECEIVABLE_BUCKETS, "total")])
        print_report(reps)
    if show and report.items:
        items = _table(_("Most overdue"), [N_("Customer"), N_("Rep"), N_("Bought"), N_("Due"), N_("Amount"),
                                           N_("Days")])
        for r in report.items[:show]:
            items.add_row(r.name, r.rep, str(r.date), str(r.due or "-"), _money(r.amount),
                          str(r.days_overdue))
        print_report(items)
    print_report(_("Days past due count from the due date, or from the purchase date when "
                    "there is none; the rep is the customer's owner."))


# --- complaints -----------------------------------------------------------------------------


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} h"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@report_group.command("complaints")
@common(None)
@pass_ctx
def complaints_report(ctx: Context, today: dt.date | None, as_json: bool) -> None:
    """Complaint handling: time to acknowledge and to resolve, the share in time,
    and how many customers bought again after a resolved complaint."""
    from ..reports.complaints import complaint_report

    report = complaint_report(ctx.store, ctx.at(today))
    if as_json:
        emit_json(an.as_json(report))
        return
    from .complaint_cmds import STATE_NAMES

    states = " · ".join(f"{n} {_(STATE_NAMES.get(s, s))}" for s, n in report.by_state.items())
    print_report(styled(_("[bold]Complaints up to {day}[/]: {total} ({states}); {overdue} overdue now").format(
        day=format_day(report.today), total=report.total, states=states, overdue=report.overdue_now)))
    table = _table(_("Handling (answer within {hours} h, resolve within {days} days)").format(
                       hours=report.respond_within_hours, days=report.resolve_within_days),
                   [N_("Step"), N_("Complaints"), N_("In time"), N_("Share"), N_("Mean"), N_("Median"),
                    N_("Longest")])
    for name, t in ((_("acknowledge"), report.acknowledge), (_("resolve"), report.resolve)):
        table.add_row(name, str(t.count), str(t.in_time), _share(t.share_in_time),
                      _hours(t.mean_hours), _hours(t.median_hours), _hours(t.max_hours))
    print_report(table)
    if report.resolved_without_moment:
        print_report(_("{count} resolved before kehu recorded when (not in the times above).").format(
            count=report.resolved_without_moment))
    print_report(_("Bought again after a resolved complaint: {again} of {resolved} customers ({share}; "
                    "the seeds say {seed} come back when it is resolved well).").format(
        again=report.customers_bought_again, resolved=report.customers_resolved,
        share=_share(report.comeback_share), seed=_share(report.seed_comeback_share)))

