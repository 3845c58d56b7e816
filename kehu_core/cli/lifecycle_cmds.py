"""``kehu report rfm|lifecycle|churn``: customers over time (RFM segments and CLV, lifecycle
stages and who moved between them, who stopped buying). ``report_cmds`` adds these commands to
the ``kehu report`` group."""

from __future__ import annotations

import datetime as dt

import click
from rich.markup import escape
from rich.table import Table

from .. import reports as an
from ..i18n import N_, _, format_day
from ..models import on_one_line
from ..names import shown
from .context import Context, emit_json, pass_ctx
from .records import COUNT
from .render import print_report, styled, terminal_safe
from .report_format import bar, common, money, report_table, stage_name

# --- RFM and lifecycle ----------------------------------------------------------------------


@click.command("rfm")
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
        table.add_row(shown(name, ctx.store), str(seg["customers"]), money(seg["revenue"]), f"{seg['share']:.1f}%",
                      bar(seg["share"], 100), money(seg["clv"]))
    print_report(table)
    _print_stages(report.stages)
    if show and report.customers:
        rows = report_table(_("Customers by CLV estimate"),
                      [N_("Name"), N_("Owner"), N_("RFM"), N_("Segment"), N_("Stage"), N_("Orders"),
                       N_("Revenue"), N_("CLV")])
        for c in report.customers[:show]:
            rows.add_row(terminal_safe(c.name), terminal_safe(c.owner or ""), c.code, shown(c.segment, ctx.store),
                         stage_name(c.stage), str(c.purchases), money(c.revenue), money(c.clv))
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
        table.add_row(stage_name(stage), str(n), bar(n, top))
    print_report(table)


@click.command("lifecycle")
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
        table.add_row(stage_name(stage), str(n), bar(n, top), str(report.before[stage]))
    print_report(table)
    moves = Table(title=_("Movements since {since}").format(since=report.since), header_style="bold")
    moves.add_column(_("from \\ to"))
    for stage in an.STAGES:
        moves.add_column(stage_name(stage), justify="right")
    for src, row in report.movements.items():
        if any(row.values()):
            moves.add_row(stage_name(src), *[str(row[s]) for s in an.STAGES])
    print_report(moves)
    s = report.settings
    print_report(
        _("new: first purchase in the last {new} days; active: last purchase in the last "
          "{active} days; dormant: in the last {churn}; churned: longer ago "
          "(set under `reports:` in kehu.yaml).").format(new=s.new_days, active=s.active_days, churn=s.churn_days)
    )


# --- churn ----------------------------------------------------------------------------------


@click.command("churn")
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
            lost=money(report.revenue_lost))
    ))
    if report.by_month:
        months = Table(title=_("Last purchase month of churned customers"), header_style="bold")
        months.add_column(_("Month"))
        months.add_column(_("Customers"), justify="right")
        months.add_column("")
        top = max(report.by_month.values())
        for month, count in report.by_month.items():
            months.add_row(month, str(count), bar(count, top))
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
            groups.add_row(terminal_safe(str(shown(gg[0], ctx.store))), str(gg[1]), terminal_safe(str(oo[0])),
                           str(oo[1]))
        print_report(groups)
    if show and report.churned:
        table = report_table(_("Churned customers"), [N_("Name"), N_("Group"), N_("Owner"), N_("Last bought"),
                                                N_("Revenue"), N_("Last contacts"), N_("Complaints")],
                       show_lines=True)
        from ..labels import kind_label
        from .complaint_cmds import STATE_NAMES

        for c in report.churned[:show]:
            # a line each, each text on its own (models.on_one_line): a text's second line read
            # as a contact or a complaint of its own, and a direction control turned the cell around
            contacts = "\n".join(f"{e['date']} {kind_label(e['kind'])}: {on_one_line(e['text'] or '')}"
                                 for e in c.last_interactions)
            complaints = styled("\n".join(
                f"{e['date']} [{'red' if e['status'] == 'open' else 'green'}]"
                f"{_(STATE_NAMES.get(e['status'], e['status']))}[/]: {escape(on_one_line(e['text'] or ''))}"
                for e in c.complaints))
            table.add_row(terminal_safe(c.name), str(shown(c.group, ctx.store)), terminal_safe(c.owner or ""),
                          f"{c.last_purchase} ({c.days_since}d)", money(c.revenue),
                          contacts, complaints)
        print_report(table)
