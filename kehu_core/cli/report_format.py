"""How ``kehu report`` prints: the names of stages and buckets, money, trends, bars, tables
whose number columns keep their width, and the options every report takes (:func:`common`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click
from rich.bar import Bar
from rich.table import Table

from .. import reports as an
from ..i18n import N_, _
from .records import DATE

STAGE_NAMES = {
    "not_yet": N_("not yet"), "prospect": N_("prospect"), "new": N_("new"),
    "active": N_("active"), "dormant": N_("dormant"), "churned": N_("churned"),
}


def stage_name(stage: str) -> str:
    """A lifecycle stage's name (``dormant``) in the user's language."""
    return _(STAGE_NAMES.get(stage, stage))


def bucket_name(name: str) -> str:
    """A receivables age bucket's name (``1-30``) in the user's language."""
    return _(an.BUCKET_LABELS.get(name, name))


def money(value: Decimal | float) -> str:
    """An amount as every report shows it: grouped for the user's locale."""
    from ..i18n import format_decimal

    return format_decimal(value)  # grouped for the user's locale


def trend_text(change: float | None) -> str:
    """A change in percent as a coloured arrow and number; ``None`` (nothing before) as "new"."""
    if change is None:
        return "[cyan]" + _("new") + "[/]"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    colour = "green" if change > 0 else "red" if change < 0 else "white"
    return f"[{colour}]{arrow} {change:+.1f}%[/]"


def bar(value: float, top: float, width: int = 20) -> Bar:
    """A bar of ``value`` out of ``top`` (an empty scale when ``top`` is 0)."""
    return Bar(size=top or 1, begin=0, end=value, width=width)


NUMERIC = {"Revenue", "Share", "Units", "Buyers", "Orders", "CLV", "Amount", "Days", "Customers",
           "Purchases", "Now", "Before", "Trend"}


def report_table(title: str, columns: list[str], **kw: Any) -> Table:
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


def period_of(today: dt.date, period: str, since: dt.date | None, until: dt.date | None) -> an.Period:
    """The period a report's --period/--since/--until name, ending ``today`` by default; a usage error
    when they name no period (``--period 3x``)."""
    try:
        if since:
            return an.Period.between(since, until or today)
        return an.Period.ending(until or today, period)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
