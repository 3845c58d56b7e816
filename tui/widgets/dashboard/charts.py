"""Dashboard charts. Plotext draws the ones with short ASCII labels (months, age buckets);
the ones labelled in Chinese are drawn with Rich, which measures wide characters right."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual_plotext import PlotextPlot

from kehu_core.i18n import _

from ... import formatting
from ..plain_text import Static

BAR = "█"


TierRow = tuple[str, int, Decimal, float]  # tier, customers, revenue, share of revenue


class TierPyramid(Static):
    """The customer pyramid, drawn as one: the top tier narrowest."""

    def show(self, tiers: list[TierRow], width: int = 21) -> None:
        """``tiers``: (name, customers, revenue, revenue share 0-1), top tier first."""
        grid = Table.grid(padding=(0, 2))
        grid.add_column(width=width, no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
        steps = max(len(tiers), 1)
        for i, (name, count, revenue, share) in enumerate(tiers):
            bar_width = max(3, round(width * (i + 1) / steps)) // 2 * 2 + 1  # odd: centred
            pad = " " * ((width - bar_width) // 2)
            grid.add_row(
                Text(pad) + Text(BAR * bar_width, style=f"color({33 + i * 6})"), Text(name, style="bold"),
                _("{count} people").format(count=count), formatting.money(revenue), f"{100 * share:.1f}%",
            )
        self.update(grid if tiers else Text(_("no customers yet"), style="dim"))

    def show_disabled(self) -> None:
        self.update(Text(_("the tiering plugin is disabled in kehu.yaml"), style="dim"))


def bar_list(rows: list[tuple[str, Decimal, str]], empty: str | None = None) -> Any:
    """Named amounts as horizontal bars; ``rows``: (label, value, note)."""
    if not rows:
        return Text(empty or _("nothing"), style="dim")
    top = max((v for _, v, _ in rows), default=Decimal(1)) or Decimal(1)
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, max_width=18)
    table.add_column(no_wrap=True, width=20)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    for label, value, note in rows:
        width = int(20 * value / top)
        table.add_row(label, Text(BAR * max(width, 1 if value else 0), style="cyan"),
                      formatting.money(value), Text(note, style="dim"))
    return table


class ProductBars(Static):
    """Hot products (热销) over slow ones (滞销), each as bars of revenue."""

    def show(self, total: Decimal, hot: list[tuple[str, Decimal, str]],
             slow: list[tuple[str, Decimal, str]]) -> None:
        self.update(Group(
            Text(_("hot sellers · {total} in the period").format(total=formatting.money(total)), style="bold green"),
            bar_list(hot, _("no sales in the period")), Text(""),
            Text(_("slow sellers"), style="bold red"), bar_list(slow, _("no slow products")),
        ))


class BarChart(PlotextPlot):
    """A vertical bar chart with a title (revenue by month, receivables by age)."""

    def __init__(self, title: str, label_every: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chart_title = title
        self.label_every = label_every
        self._data: tuple[list[str], list[float]] = ([], [])

    @property
    def data(self) -> tuple[list[str], list[float]]:
        """The labels and values on show."""
        return self._data

    def show(self, labels: list[str], values: list[float]) -> None:
        self._data = (labels, values)
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.chart_title)
        if labels:
            plt.bar(labels, values, width=0.6)
            # Name the ticks ourselves: plotext's own choice of labels varies between runs.
            shown = range(0, len(labels), self.label_every)
            plt.xticks([i + 1 for i in shown], [labels[i] for i in shown])
        self.refresh()
