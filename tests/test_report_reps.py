"""The supervisor's review (issue 17 part 4): `kehu report reps` on a store built for it, day
by day through the real commands (`--today`), so every figure is known: customers, cards
updated and their completeness, visits and calls against planned, new customers, sales and
collections, overdue receivables, complaints, reminders done and missed, each with the change
from the previous week; --month/--quarter periods, --owner, and the TUI dashboard's card."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import kehu

# this week: Monday 2026-11-16 to Sunday 2026-11-22 (today is Friday 2026-11-20);
# the previous week: 2026-11-09 to 2026-11-15


def _ok(store: Path, day: str, *args: str) -> str:
    result = kehu("--today", day, *args, store=store)
    assert result.code == 0, result.err
    return result.out.strip().splitlines()[-1] if result.out.strip() else ""


@pytest.fixture
def week_store(store_path: Path) -> dict[str, str]:
    s = store_path
    ids = {}
    ids["a"] = _ok(s, "2026-11-02", "customer", "add", "--name", "赵敏", "--owner", "王芳",
                   "--phone", "13912345678", "--address", "杭州西湖区", "--birthday", "1980-05-01", "--level", "金卡")
    ids["c"] = _ok(s, "2026-11-10", "customer", "add", "--name", "钱多多", "--owner", "李强")
    ids["b"] = _ok(s, "2026-11-17", "customer", "add", "--name", "孙丽", "--owner", "王芳")
    a, b, c = ids["a"], ids["b"], ids["c"]
    # an old sale on credit, overdue at the end of both weeks (due 2026-10-01)
    _ok(s, "2026-09-01", "purchase", "add", a, "--amount", "300", "--credit")
    # the previous week: 李强 visits and sells to 钱多多 on credit; a complaint resolved in time
    _ok(s, "2026-11-12", "interaction", "add", c, "--kind", "visit", "--text", "送样品")
    ids["c_sale"] = _ok(s, "2026-11-10", "purchase", "add", c, "--amount", "800", "--credit")
    ids["c_complaint"] = _ok(s, "2026-11-11", "interaction", "add", c, "--kind", "complaint", "--text", "包装破损")
    _ok(s, "2026-11-12", "complaint", "resolve", c, ids["c_complaint"], "--text", "换货")
    # this week
    _ok(s, "2026-11-18", "customer", "set", a, "family=丈夫在银行工作", "interests=钓鱼")
    ids["a_sale"] = _ok(s, "2026-11-17", "purchase", "add", a, "--amount", "1000", "--paid")
    _ok(s, "2026-11-18", "purchase", "add", b, "--amount", "500", "--credit")
    _ok(s, "2026-11-18", "interaction", "add", a, "--kind", "visit", "--text", "拜访")
    _ok(s, "2026-11-19", "interaction", "add", b, "--kind", "call", "--text", "电话回访")
    _ok(s, "2026-11-19", "purchase", "pay", c, ids["c_sale"], "--amount", "400")
    _ok(s, "2026-11-19", "interaction", "add", b, "--kind", "complaint", "--text", "茶叶受潮")
    _ok(s, "2026-11-19", "reminders", "done", f"greeting:{a}:{ids['a_sale']}")
    # 王芳 plans to see 孙丽 on Saturday: a visit planned by hand
    _ok(s, "2026-11-20", "visits", "plan", "--owner", "王芳", "--date", "2026-11-21", "--add", b)
    return ids


def _figures(report: dict, rep: str) -> dict[str, tuple]:
    row = next(r for r in report["reps"] if r["rep"] == rep)
    return {k: (f["value"], f["previous"], f["change"]) for k, f in row["figures"].items()}


def test_weekly_review_figures_per_rep_with_the_change_from_last_week(store_path: Path, week_store: dict) -> None:
    report = kehu("report", "reps", "--week", "--json", store=store_path).json()
    assert report["period"] == {"start": "2026-11-16", "end": "2026-11-22", "days": 7}
    assert report["previous"] == {"start": "2026-11-09", "end": "2026-11-15", "days": 7}
    assert [r["rep"] for r in report["reps"]] == ["李强", "王芳"]

    wang = _figures(report, "王芳")
    assert wang["customers"] == (2, 1, 1)
    assert wang["new_customers"] == (1, 0, 1)
    assert wang["cards_updated"][:2] == (2, 0)  # 赵敏 edited, 孙丽 added; nothing the week before
    # 赵敏 has 6 of 7 card fields (phones, addresses, birthday, level, interests, family), 孙丽 0
    assert wang["completeness"] == (round(6 / 7 / 2 * 100, 1), None, None)
    assert wang["visits"] == (1, 0, 1) and wang["calls"] == (1, 0, 1)
    assert wang["visits_planned"] == (1, 0, 1)  # the one added to Saturday's plan
    assert wang["sales"] == (1500.0, 0.0, 1500.0)
    assert wang["collections"] == (1000.0, 0.0, 1000.0)  # the sale paid at the counter
    assert wang["collection_rate"] == (66.7, None, None)
    assert wang["overdue"] == (300.0, 300.0, 0.0)
    assert wang["complaints"] == (1, 0, 1) and wang["complaints_open"] == (1, 0, 1)
    assert wang["reminders_done"] == (1, 0, 1)

    li = _figures(report, "李强")
    assert li["customers"] == (1, 1, 0) and li["new_customers"] == (0, 1, -1)
    assert li["cards_updated"] == (1, 1, 0)  # the payment this week; added, sold to, visited the week before
    assert li["visits"] == (0, 1, -1)
    assert li["sales"] == (0.0, 800.0, -800.0)
    assert li["collections"] == (400.0, 0.0, 400.0)
    assert li["overdue"] == (0.0, 0.0, 0.0)  # due 2026-12-10
    assert li["complaints"] == (0, 1, -1)
    assert li["complaints_resolved_in_time"] == (0, 1, -1) and li["complaints_resolved_late"] == (0, 0, 0)
    assert li["complaints_open"] == (0, 0, 0)
    # the greeting after the sale of 11-10 fell due 11-12 and nobody did it; its survey 11-17
    assert li["reminders_missed"] == (1, 1, 0)

    total = {k: f["value"] for k, f in report["total"].items()}
    assert total["sales"] == 1500.0 and total["customers"] == 3 and total["visits"] == 1

    text = kehu("report", "reps", store=store_path)
    assert text.code == 0 and "王芳" in text.out and "李强" in text.out and "2026-11-16" in text.out


def test_owner_filter_and_calendar_periods(store_path: Path, week_store: dict) -> None:
    mine = kehu("report", "reps", "--owner", "王芳", "--json", store=store_path).json()
    assert [r["rep"] for r in mine["reps"]] == ["王芳"]
    month = kehu("report", "reps", "--month", "--json", store=store_path).json()
    assert month["period"] == {"start": "2026-11-01", "end": "2026-11-30", "days": 30}
    assert month["previous"] == {"start": "2026-10-01", "end": "2026-10-31", "days": 31}
    li = _figures(month, "李强")
    assert li["sales"] == (800.0, 0.0, 800.0) and li["visits"] == (1, 0, 1)
    quarter = kehu("report", "reps", "--quarter", "--json", store=store_path).json()
    assert quarter["period"]["start"] == "2026-10-01" and quarter["previous"]["start"] == "2026-07-01"
    # 赵敏's old sale: in the previous quarter's sales, due 10-01: overdue only at this one's end
    wang = _figures(quarter, "王芳")
    assert wang["sales"][1] == 300.0 and wang["overdue"] == (300.0, 0.0, 300.0)


def test_card_fields_are_configurable_and_checked(store_path: Path, week_store: dict) -> None:
    config = store_path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "reps:\n  card_fields: [phones, family]\n", encoding="utf-8")
    wang = _figures(kehu("report", "reps", "--json", store=store_path).json(), "王芳")
    assert wang["completeness"][0] == 50.0  # 赵敏 2 of 2, 孙丽 0 of 2
    config.write_text(text + "reps:\n  card_fields: [phones, 'not a field']\n", encoding="utf-8")
    bad = kehu("report", "reps", store=store_path)
    lines = len(text.splitlines())
    assert bad.code == 1 and f"kehu.yaml:{lines + 2}: reps.card_fields" in bad.err


@pytest.mark.asyncio
async def test_tui_dashboard_card_shows_the_reports_figures_and_filters_by_rep(store_path: Path,
                                                                               week_store: dict) -> None:
    from kehu_tui.screens.dashboard import DashboardScreen

    from .test_tui import SIZE, make_app, text_of, wait_for

    cli = kehu("report", "reps", "--json", store=store_path).json()
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
        screen = app.screen
        card = screen.query_one("#reps")
        await wait_for(pilot, lambda: "王芳" in text_of(card), "the reps card")
        shown = text_of(card)
        assert "李强" in shown and re.search(r"^\s*all\s", shown, re.M)  # the row of every rep
        assert "1.5k ▲1.5k" in shown  # 王芳's sales this week, up from nothing: the CLI's figure
        assert _figures(cli, "王芳")["sales"] == (1500.0, 0.0, 1500.0)
        assert "2026-11-16" in str(card.border_subtitle)
        await pilot.press("o")  # one rep: the first
        await wait_for(pilot, lambda: not re.search(r"^\s*all\s", text_of(card), re.M), "one rep")
        assert "李强" in text_of(card) and "王芳" not in text_of(card)
        await pilot.press("w")  # the month
        await wait_for(pilot, lambda: "2026-11-01" in str(card.border_subtitle), "the month")
