"""``kehu report revenue|products|abc|rfm|lifecycle|churn|receivables``: analytics in the terminal.

The figures come from :mod:`kehu_core.reports` (one module per report); this module only prints them as
Rich tables with bars, or as JSON (``--json``). ``rfm``, ``lifecycle`` and ``churn`` are
:mod:`.lifecycle_cmds`'s, the supervisor's reports :mod:`.review_cmds`'s; how they print,
:mod:`.report_format`'s.
"""

from __future__ import annotations

import datetime as dt

import click
from rich.table import Table

from .. import reports as an
from ..i18n import N_, _, format_day
from . import lifecycle_cmds, review_cmds
from .context import Context, emit_json, pass_ctx, say_left_out, say_unread_records
from .options import Whole
from .records import COUNT
from .render import print_report, styled, terminal_safe
from .report_format import bar, bucket_name, common, money, period_of, report_table, trend_text


@click.group("report")
def report_group() -> None:
    """Analytics: revenue by month, products, ABC/Pareto, RFM, lifecycle, churn, receivables,
    complaints, credit, the per-rep review, referrals."""


@report_group.result_callback()
@pass_ctx
def _say_left_out(ctx: Context, *_results: object, **_params: object) -> None:
    """Every report counts customers from the index, where a customer whose customer.yaml has a
    problem has no profile: said once, after the report (stderr; ``--json`` stays JSON); so is
    a record whose file has a problem (a purchase's money is in no figure)."""
    say_left_out(ctx.unlisted(), "counted")
    say_unread_records(ctx.unread_records())


report_group.add_command(review_cmds.credit)
report_group.add_command(review_cmds.reps)
report_group.add_command(review_cmds.referrals)
report_group.add_command(lifecycle_cmds.rfm_cmd)
report_group.add_command(lifecycle_cmds.lifecycle)
report_group.add_command(lifecycle_cmds.churn)


# --- revenue by month -----------------------------------------------------------------------


@report_group.command("revenue")
@common(None)
@click.option("--months", type=Whole(1, 120), default=12, show_default=True,
              help="How many calendar months, ending with the month of --today.")
@pass_ctx
def revenue(ctx: Context, today: dt.date | None, as_json: bool, months: int) -> None:
    """Revenue by calendar month, up to --today (the dashboard's chart)."""
    report = an.revenue_by_month(ctx.store, ctx.at(today), months)
    if as_json:
        emit_json(an.as_json(report))
        return
    table = report_table(_("Revenue by month up to {day}").format(day=format_day(report.today)),
                   [N_("Month"), N_("Revenue"), N_("Purchases"), ""])
    top = max((float(m.revenue) for m in report.months), default=0.0)
    for m in report.months:
        table.add_row(m.month, money(m.revenue), str(m.purchases), bar(float(m.revenue), top))
    print_report(table)
    print_report(_("Total {amount}.").format(amount=money(report.total)))


# --- products -------------------------------------------------------------------------------


@report_group.command("products")
@common("90d")
@click.option("--limit", type=COUNT, help="Show at most this many products (JSON: all).")
@pass_ctx
def products(ctx: Context, today: dt.date | None, period: str, since: dt.date | None,
             until: dt.date | None, as_json: bool, limit: int | None) -> None:
    """Hot and slow sellers by revenue, units and buyers, vs the previous period."""
    report = an.products_report(ctx.store, period_of(ctx.at(today), period, since, until))
    if as_json:
        emit_json(an.as_json(report) | {
            "hot": [p.name for p in report.hot], "slow": [p.name for p in report.slow]})
        return
    table = report_table(
        _("Products {period}  (previous: {previous})").format(period=report.period.label(),
                                                              previous=report.previous.label()),
        [N_("Product"), "", N_("Revenue"), N_("Share"), N_("Units"), N_("Buyers"), N_("Trend"), N_("Last sold")],
    )
    for row in report.products[:limit] if limit else report.products:
        # the report (and --json) keeps 热销 / 滞销; said in the user's language here
        hot, slow = _("hot"), _("slow")
        status = {"热销": f"[bold green]{hot}[/]", "滞销": f"[yellow]{slow}[/]"}.get(row.status, "")
        table.add_row(  # an item's name by the rule of every listing: 茶 and 茶 + U+200B are two
            terminal_safe(row.name), styled(status), money(row.revenue), f"{row.share:.1f}%",
            f"{row.units:g}", str(row.buyers),
            styled(trend_text(row.revenue_change)), str(row.last_sold or ""),
        )
    print_report(table)
    print_report(styled(
        _("Revenue {amount} (previous period {previous}, {trend}).").format(
            amount=money(report.revenue), previous=money(report.prev_revenue),
            trend=trend_text(an.percent_change(report.revenue, report.prev_revenue))) + " "
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
    report = an.abc_report(ctx.store, period_of(ctx.at(today), period, since, until))
    if as_json:
        emit_json(an.as_json(report))
        return
    cur, prev = report.current, report.previous
    table = Table(title=_("ABC / Pareto"), header_style="bold")
    table.add_column("")
    table.add_column(_("This period") + f"\n{cur.period.label()}", justify="right")
    table.add_column(_("Previous") + f"\n{prev.period.label()}", justify="right")
    table.add_row(_("Buyers"), str(cur.buyers), str(prev.buyers))
    table.add_row(_("Revenue"), money(cur.revenue), money(prev.revenue))
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
        curve.add_row(f"{decile * 10}%", f"{now:.1f}%", bar(now, 100), f"{before:.1f}%")
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
        top = report_table(_("Top {count} customers").format(count=min(show, len(report.customers))),
                     [N_("Name"), N_("Owner"), N_("Revenue"), N_("Share"), N_("Class"), N_("Before")])
        for row in report.customers[:show]:
            # names by the rule of every listing (a zero-width space shown, never a second 张三 alike)
            top.add_row(terminal_safe(row.name), terminal_safe(row.owner or ""), money(row.revenue),
                        f"{row.share:.1f}%", row.abc, row.prev_abc)
        print_report(top)
    print_report(_("80/20 is a snapshot, not a rule: compare periods before acting on it."))



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
        day=format_day(report.today), amount=money(report.total)), header_style="bold")
    for title in (N_("Days past due"), N_("Purchases"), N_("Amount"), ""):
        buckets.add_column(_(title), justify="right" if title in ("Purchases", "Amount") else "left")
    top = max((float(b["amount"]) for b in report.buckets.values()), default=0.0)
    for name, b in report.buckets.items():
        buckets.add_row(bucket_name(name), str(b["count"]), money(b["amount"]),
                        bar(float(b["amount"]), top))
    print_report(buckets)
    if report.by_rep:
        reps = Table(title=_("By rep"), header_style="bold")
        reps.add_column(_("Rep"))
        for name in (*an.RECEIVABLE_BUCKETS, "total"):
            reps.add_column(bucket_name(name), justify="right")
        for rep, amounts in report.by_rep.items():
            reps.add_row(terminal_safe(rep), *[money(amounts[k]) for k in (*an.RECEIVABLE_BUCKETS, "total")])
        print_report(reps)
    if show and report.items:
        items = report_table(_("Most overdue"), [N_("Customer"), N_("Rep"), N_("Bought"), N_("Due"), N_("Amount"),
                                           N_("Days")])
        for r in report.items[:show]:
            items.add_row(terminal_safe(r.name), terminal_safe(r.rep), str(r.date), str(r.due or "-"), money(r.amount),
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
    table = report_table(_("Handling (answer within {hours} h, resolve within {days} days)").format(
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
