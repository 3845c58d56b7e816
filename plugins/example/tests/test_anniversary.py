"""The anniversary plugin end to end, as its author tests it: only ``kehu_core.testing``.

A real store on disk at a fixed day, the real ``kehu`` commands (with ``--json``), the real
TUI driven by Textual's Pilot. Nothing here depends on kehu's own test suite.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import kehu_anniversary
import pytest

from kehu_core.store import Store
from kehu_core.testing import make_store, run_kehu, screen_text, tui, wait_until

TODAY = dt.date(2026, 11, 20)
PLUGINS = {"anniversary": kehu_anniversary}


def purchase(day: str, amount: int = 300) -> dict[str, Any]:
    return {"kind": "purchase", "date": day, "amount": amount, "paid": True}


def shop(tmp_path: Path, *, today: dt.date = TODAY, **kwargs: Any) -> Store:
    """Three customers: a customer for two years today, one for a few months, one who never bought."""
    return make_store(tmp_path / "shop", today=today, plugins=PLUGINS, customers=[
        {"id": "c1zhaomin", "name": "赵敏", "wechat": "zm_1990", "interactions": [purchase("2024-11-20")]},
        {"id": "c1qianduoduo", "name": "钱多多", "interactions": [purchase("2026-03-01")]},
        {"id": "c1sunxiaomei", "name": "孙小美"},
    ], **kwargs)


# pytest fixtures from kehu_core.testing (conftest.py: pytest_plugins = ["kehu_core.testing"])
@pytest.fixture
def kehu_plugins() -> dict[str, Any]:
    return PLUGINS


def test_wechat_is_a_customer_field_set_shown_and_read_by_the_plugin_command(kehu_store: Store) -> None:
    added = run_kehu(kehu_store, "customer", "add", "--name", "赵敏")
    assert added.code == 0, added.err
    cid = added.out.strip()
    assert run_kehu(kehu_store, "customer", "set", cid, "wechat=zm_1990").code == 0
    assert run_kehu(kehu_store, "customer", "show", cid, "--json").json()["wechat"] == "zm_1990"
    # the plugin's own command; no purchase yet, so no years as a customer
    assert run_kehu(kehu_store, "wechat", cid).json() == {"wechat": "zm_1990"}


def test_years_as_a_customer_count_from_the_first_purchase_at_the_stores_day(tmp_path: Path) -> None:
    store = shop(tmp_path)
    listed = {c["name"]: c for c in run_kehu(store, "customer", "list", "--json").json()}
    assert listed["赵敏"]["customer_years"] == 2
    assert listed["钱多多"]["customer_years"] == 0
    assert "customer_years" not in listed["孙小美"]  # never bought: nothing to show
    assert run_kehu(store, "wechat", "c1zhaomin").json() == {"wechat": "zm_1990", "customer_years": 2}
    # the same records a year later: the day is data, not the machine's clock
    later = run_kehu(store, "--today", "2027-11-20", "wechat", "c1zhaomin")
    assert later.json()["customer_years"] == 3


def anniversaries(store: Store, *args: str) -> list[dict[str, Any]]:
    result = run_kehu(store, "reminders", *args, "--rule", "anniversary", "--json")
    assert result.code == 0, result.err
    return result.json()


def test_the_anniversary_reminder_falls_due_on_the_day(tmp_path: Path) -> None:
    store = shop(tmp_path)
    due = anniversaries(store, "--days", "1")
    assert [(r["customer_name"], r["due"], r["title"]) for r in due] == [("赵敏", "2026-11-20", "成为客户 2 周年")]
    # 钱多多 first bought on 2026-03-01: her first anniversary is next March, 孙小美 never bought
    later = anniversaries(store, "--from", "2026-11-21", "--days", "365")
    # today's greeting, not done, is still there tomorrow (it lapses after the rule's window)
    assert [(r["customer_name"], r["due"], r["title"]) for r in later] == [
        ("赵敏", "2026-11-20", "成为客户 2 周年"),
        ("钱多多", "2027-03-01", "成为客户 1 周年"), ("赵敏", "2027-11-20", "成为客户 3 周年")]


def test_no_anniversary_greeting_for_a_customer_who_asked_not_to_be_contacted(tmp_path: Path) -> None:
    store = shop(tmp_path)
    assert run_kehu(store, "customer", "set", "c1zhaomin", "do_not_contact=true").code == 0
    # the engine's rule, for every plugin's outreach rules: 赵敏 is left out, 钱多多 is not
    year = anniversaries(store, "--from", TODAY.isoformat(), "--days", "365")
    assert [(r["customer_name"], r["due"]) for r in year] == [("钱多多", "2027-03-01")]


def test_min_years_setting_holds_back_early_anniversaries(tmp_path: Path) -> None:
    store = shop(tmp_path, settings={"anniversary": {"min_years": 3}})
    assert anniversaries(store, "--days", "1") == []


def test_a_29_february_customer_is_greeted_on_28_february_in_a_common_year(tmp_path: Path) -> None:
    store = make_store(tmp_path / "leap", today=dt.date(2027, 2, 28), plugins=PLUGINS, customers=[
        {"name": "周芷若", "interactions": [purchase("2024-02-29")]},
    ])
    due = anniversaries(store, "--days", "1")
    assert [(r["due"], r["title"]) for r in due] == [("2027-02-28", "成为客户 3 周年")]


def test_a_bad_wechat_id_is_reported_by_check_at_its_line(kehu_store: Store) -> None:
    cid = run_kehu(kehu_store, "customer", "add", "--name", "赵敏", "--phone", "13800138000").out.strip()
    refused = run_kehu(kehu_store, "customer", "set", cid, "wechat=1x")  # the rule holds when written
    assert refused.code == 1 and "wechat: '1x' is not a WeChat id" in refused.err
    path = kehu_store.customer_file(cid)
    assert "(plugin anniversary)" in refused.err and "wechat" not in path.read_text(encoding="utf-8")
    # a hand edit: only check finds it
    path.write_text(path.read_text(encoding="utf-8") + "wechat: 1x\n", encoding="utf-8")
    check = run_kehu(kehu_store, "check")
    assert check.code == 1
    lines = kehu_store.customer_file(cid).read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith("wechat:"))
    assert line > 1
    reported = [text for text in check.out.splitlines() if "wechat: '1x'" in text]
    assert len(reported) == 1 and "(plugin anniversary)" in reported[0]
    assert f"customer.yaml:{line}: wechat: '1x' is not a WeChat id" in reported[0]
    assert run_kehu(kehu_store, "customer", "set", cid, "wechat=zm_1990").code == 0
    assert run_kehu(kehu_store, "check").code == 0


def test_the_tui_list_has_a_years_column(tmp_path: Path) -> None:
    store = shop(tmp_path)

    def row_of(name: str, text: str) -> str:
        return next((line for line in text.splitlines() if name in line), "")

    async def drive() -> None:
        async with tui(store) as pilot:
            await wait_until(pilot, lambda: "客户年数" in screen_text(pilot.app), what="the column title")
            await wait_until(pilot, lambda: row_of("赵敏", screen_text(pilot.app)).split()[-1:] == ["2"],
                             what="赵敏's years as a customer")
            text = screen_text(pilot.app)
            assert row_of("钱多多", text).split()[-1] == "0"

    asyncio.run(drive())
