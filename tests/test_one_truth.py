"""One truth: the TUI shows what the CLI says, because both call the one function that owns
each rule (issue 13, "one home per business rule").

On a copy of the demo store at the tests' fixed day: the dashboard's figures (the functions
its screen calls, and the numbers read off the real app's widgets) equal ``kehu tier --json``
and ``kehu report revenue|products|receivables --json``; the tier filter means the same in
``customer list --tier``, a segment's ``tier:`` and the TUI's tier box, and refuses an unknown
tier the same way.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from kehu_tui.formatting import money
from kehu_tui.screens.dashboard import (
    DashboardScreen,
    products_figures,
    revenue_figures,
    tier_figures,
)
from kehu_tui.widgets.dashboard.charts import BarChart
from textual.widgets import Input, Static

from kehu_core import reports as analytics
from kehu_core.names import shown
from kehu_core.store import open_store

from .conftest import TODAY, kehu
from .test_tui import SIZE, make_app, text_of, wait_for


def cli(store: Path, *args: str) -> Any:
    result = kehu(*args, "--json", store=store)
    assert result.code == 0, result.err
    return result.json()


def test_dashboard_figures_are_the_clis(demo_copy: Path) -> None:
    tiers = cli(demo_copy, "tier")
    revenue = cli(demo_copy, "report", "revenue")
    products = cli(demo_copy, "report", "products")
    store = open_store(demo_copy)
    assert store.today == TODAY

    figures = tier_figures(store, TODAY)
    assert figures is not None
    window, rows = figures
    assert window == f"pyramid · {tiers['window']['start']} .. {tiers['window']['end']}"
    assert rows == [(shown(d["tier"]), d["customers"], Decimal(d["revenue"]), d["revenue_share"])
                    for d in tiers["distribution"]]  # the names as the user reads them (kehu_core.names)
    # one meaning of the pyramid: every customer counts, buyers or not (as `kehu tier` says)
    everyone = cli(demo_copy, "customer", "list")
    assert sum(count for _, count, _, _ in rows) == len(everyone) == 200
    # ... and the tier filter finds the very customers the distribution counts
    for name, count, _, _ in rows:
        assert len(cli(demo_copy, "customer", "list", "--tier", name)) == count

    labels, values = revenue_figures(store, TODAY)
    assert labels == [m["month"][2:] for m in revenue["months"]] and len(labels) == 12
    assert values == [round(m["revenue"] / 1000, 1) for m in revenue["months"]]
    assert revenue["months"][-1]["month"] == TODAY.strftime("%Y-%m")

    total, hot, slow = products_figures(store, TODAY)
    assert float(total) == products["revenue"]
    assert [name for name, _, _ in hot] == products["hot"][:6]
    assert [name for name, _, _ in slow] == products["slow"][:6]


@pytest.mark.asyncio
async def test_the_dashboard_on_screen_shows_the_clis_numbers(demo_copy: Path) -> None:
    tiers = cli(demo_copy, "tier")
    revenue = cli(demo_copy, "report", "revenue")
    products = cli(demo_copy, "report", "products")
    receivables = cli(demo_copy, "report", "receivables")
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        await wait_for(pilot, lambda: not screen.loading_cards, "every card's figures", rounds=600)

        pyramid = screen.query_one("#pyramid", Static)
        lines = text_of(pyramid).splitlines()
        for d in tiers["distribution"]:
            line = next(line for line in lines if f" {shown(d['tier'])} " in f" {line} ")
            assert f"{d['customers']} people" in line, line
            assert money(Decimal(d["revenue"])) in line, line
            assert f"{100 * d['revenue_share']:.1f}%" in line, line
        assert tiers["window"]["end"] in str(pyramid.border_subtitle)

        chart = screen.query_one("#revenue", BarChart)
        assert chart.data == ([m["month"][2:] for m in revenue["months"]],
                              [round(m["revenue"] / 1000, 1) for m in revenue["months"]])

        products_text = text_of(screen.query_one("#products", Static))
        assert money(Decimal(str(products["revenue"]))) in products_text
        assert all(name in products_text for name in products["hot"][:6])

        due = screen.query_one("#receivables", BarChart)
        assert money(Decimal(str(receivables["total"]))) in str(due.border_subtitle)
        assert due.data[1] == [round(b["amount"] / 1000, 1) for b in receivables["buckets"].values()]


def set_segments(store: Path, segments: dict[str, Any]) -> None:
    path = store / "kehu.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["segments"] = segments
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.asyncio
async def test_one_tier_filter_for_the_cli_segments_and_the_tui(demo_copy: Path) -> None:
    names = [d["tier"] for d in cli(demo_copy, "tier")["distribution"]]
    listing = ", ".join(shown(n) for n in names)
    top = {c["id"] for c in cli(demo_copy, "customer", "list", "--tier", names[0])}
    assert top

    # a segment's tier: condition is the same filter
    set_segments(demo_copy, {"top": {"tier": names[0]}, "typo": {"tier": "重要"}})
    assert {c["id"] for c in cli(demo_copy, "segment", "show", "top")} == top

    # an unknown tier is an error listing the tiers, never an empty list, in the CLI ...
    for args in (("customer", "list", "--tier", "重要"), ("segment", "show", "typo")):
        result = kehu(*args, store=demo_copy)
        assert result.code == 1, result
        assert f"no tier '重要'; the tiers are: {listing}" in result.err
        assert "Traceback" not in result.err and result.out == ""

    # ... and a notification in the TUI, whose list stays as it was
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        box = app.screen.query_one("#filter-tier", Input)
        box.focus()
        box.value = "重要"
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("no tier '重要'" in str(n.message)
                                          for n in app._notifications), "the notification")
        note = next(str(n.message) for n in app._notifications if "no tier" in str(n.message))
        assert note == f"no tier '重要'; the tiers are: {listing}"
        assert "tier:" not in text_of(app.screen.query_one("#list-status", Static))

        box.value = names[0]  # a known one filters as the CLI does
        await pilot.press("enter")
        table = app.screen.table  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: table.complete and not table.fetching, "the filtered list")
        listed = {table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)}
        assert listed == top


def test_revenue_by_month_is_one_function(demo_copy: Path) -> None:
    """`kehu report revenue` prints analytics.revenue_by_month, month by month."""
    store = open_store(demo_copy)
    report = analytics.revenue_by_month(store, TODAY, 3)
    data = cli(demo_copy, "report", "revenue", "--months", "3")
    assert data == analytics.as_json(report)
    assert sum(Decimal(str(m["revenue"])) for m in data["months"]) == Decimal(str(data["total"]))
    bad = kehu("report", "revenue", "--months", "0", store=demo_copy)
    assert bad.code == 2 and "Traceback" not in bad.err
