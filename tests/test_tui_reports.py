"""The credit and referrals reports in the TUI (issue 17 parts 1 and 5): opened from the
dashboard (``c``, ``f``), computed by the function ``kehu report credit|referrals`` prints, so
the figures on screen are the CLI's ``--json`` figures for the same store (the real app, Pilot)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from rich.text import Text

from .conftest import kehu
from .test_credit import _credit_shop
from .test_tui import SIZE, make_app, text_of, wait_for

pytestmark = pytest.mark.asyncio


def _ok(store: Path, *args: str) -> str:
    result = kehu(*args, store=store)
    assert result.code == 0, result.err
    return result.out.strip().splitlines()[-1] if result.out.strip() else ""


@pytest.fixture
def shop(store_path: Path) -> Path:
    """The credit test's customers (a good payer, a slow one, another rep's), and referrals:
    赵敏 brought 孙丽 (who bought twice) and 钱多多 (not yet), 孙丽 brought 周新."""
    _credit_shop(store_path)
    ids = {c["name"]: c["id"] for c in kehu("customer", "list", "--json", store=store_path).json()}
    sun = _ok(store_path, "customer", "add", "--name", "孙丽", "--owner", "王芳", "--referrer", ids["赵敏"])
    _ok(store_path, "customer", "add", "--name", "钱小多", "--referrer", ids["赵敏"])
    _ok(store_path, "customer", "add", "--name", "周新", "--referrer", sun)
    _ok(store_path, "purchase", "add", sun, "--amount", "300", "--paid")
    _ok(store_path, "purchase", "add", sun, "--amount", "200", "--paid")
    return store_path


def _cell(value: object) -> str:
    return value.plain if isinstance(value, Text) else str(value)


def _number(text: str) -> float | None:
    text = text.strip().rstrip("%")
    return None if text in ("", "-") else float(Decimal(text.replace(",", "").lstrip("¥")))


def _rows(table) -> list[list[str]]:
    return [[_cell(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def _open(pilot, app, key: str, kind: type) -> object:
    await pilot.press("d")
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, kind) and app.screen.report is not None
                   and not app.screen.loading_views, f"the {kind.__name__}")
    return app.screen


async def test_the_credit_screen_shows_the_clis_figures(shop: Path) -> None:
    from kehu_tui.screens.customer import CustomerScreen
    from kehu_tui.screens.reports import CreditScreen
    from kehu_tui.widgets.dashboard.credit import CreditTable

    cli = kehu("report", "credit", "--json", store=shop).json()
    app = make_app(shop)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app, "c", CreditScreen)
        table = screen.query_one(CreditTable)
        words = {"up": "▲ raise", "down": "▼ lower", "keep": "= keep"}
        expected = [[c["name"], c["rep"], c["limit"], c["outstanding"], c["overdue"], c["days_overdue"] or None,
                     c["on_time"], c["late"], words[c["suggestion"]], c["suggested_limit"], c["reason"]]
                    for c in cli["customers"]]
        shown = [[r[0], r[1], _number(r[2]), _number(r[3]), _number(r[4]), _number(r[5]), _number(r[6]),
                  _number(r[7]), r[8], _number(r[9]), r[10]] for r in _rows(table)]
        assert shown == expected and len(shown) == 3
        summary = text_of(screen.query_one("#credit-summary"))
        assert f"{cli['outstanding']:,.2f} owed, {cli['overdue']:,.2f} overdue" in summary
        assert "1 to lower, 1 to raise, 1 to keep" in summary
        table.focus()
        await pilot.press("down")  # the second customer: their reason, whole, under the table
        second = cli["customers"][1]
        await wait_for(pilot, lambda: text_of(screen.query_one("#credit-why")).strip()
                       == f"{second['name']}: {second['reason']}", "the reason")
        plan = text_of(screen.query_one("#credit-plan"))
        for rep, weeks in cli["plan"].items():
            line = next(li for li in plan.splitlines() if li.strip().startswith(rep))
            assert [_number(n) for n in re.findall(r"[\d,]+\.\d\d", line)] == [w["amount"] for w in weeks]

        await pilot.press("o")  # one rep: as `kehu report credit --owner`
        await wait_for(pilot, lambda: screen.rep == "李强" and table.row_count == 2
                       and "李强" in str(screen.sub_title), "one rep")
        mine = kehu("report", "credit", "--owner", "李强", "--json", store=shop).json()
        assert [r[0] for r in _rows(table)] == [c["name"] for c in mine["customers"]] == ["孙迟", "钱多多"]
        assert "王芳" not in text_of(screen.query_one("#credit-plan"))

        table.focus()
        await pilot.press("enter")  # the customer behind the row
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "the customer")
        assert app.screen.customer_id == mine["customers"][0]["customer_id"]


async def test_the_credit_screen_follows_a_change_to_the_store(shop: Path) -> None:
    """A payment recorded elsewhere: the screen shows the new figures after a reload (r)."""
    from kehu_tui.screens.reports import CreditScreen

    app = make_app(shop)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app, "c", CreditScreen)
        before = text_of(screen.query_one("#credit-summary"))
        assert "300.00 overdue" in before
        slow = next(c for c in kehu("report", "credit", "--json", store=shop).json()["customers"]
                    if c["name"] == "孙迟")
        unpaid = kehu("customer", "show", slow["customer_id"], "--json", store=shop).json()["purchases"]
        pid = next(p["id"] for p in unpaid if not p.get("paid"))
        _ok(shop, "purchase", "pay", slow["customer_id"], pid)
        await pilot.press("r")
        await wait_for(pilot, lambda: "0.00 overdue" in text_of(screen.query_one("#credit-summary"))
                       and "300.00 overdue" not in text_of(screen.query_one("#credit-summary")), "the new figures")
        cli = kehu("report", "credit", "--json", store=shop).json()
        assert f"{cli['outstanding']:,.2f} owed" in text_of(screen.query_one("#credit-summary"))


async def test_the_referrals_screen_shows_the_clis_figures(shop: Path) -> None:
    from kehu_tui.screens.reports import ReferralsScreen
    from kehu_tui.widgets.dashboard.referrals import ReferrersTable

    cli = kehu("report", "referrals", "--json", store=shop).json()
    app = make_app(shop)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app, "f", ReferralsScreen)
        shown = [[r[0], r[1], int(r[2]), int(r[3]), _number(r[4]), _number(r[5]), int(r[6]), int(r[7] or 0)]
                 for r in _rows(screen.query_one(ReferrersTable))]
        assert shown == [[r["name"], r["owner"] or "", len(r["referred"]), r["converted"], r["conversion"],
                          r["revenue"], r["bonus_points"], r["thanks_owed"]] for r in cli["referrers"]]
        assert [r[0] for r in shown] == ["赵敏", "孙丽"]
        summary = text_of(screen.query_one("#referrals-summary"))
        assert (f"{cli['referred']} customers referred, {cli['converted']} bought ({cli['conversion']:g}%), "
                f"revenue {cli['revenue']:,.2f}") in summary
        assert f"{cli['thanks_owed']} thanks still owed" in summary and cli["thanks_owed"] == 4
        tree = text_of(screen.query_one("#referral-tree"))
        assert re.search(r"赵敏\n.*孙丽 ¥500\.00\n.*周新 not bought yet\n.*钱小多 not bought yet", tree), tree


async def test_the_report_screens_in_chinese(shop: Path) -> None:
    from kehu_tui.screens.reports import CreditScreen

    from kehu_core import i18n

    i18n.set_language("zh_CN")
    cli = kehu("--lang", "zh_CN", "report", "credit", "--json", store=shop).json()
    app = make_app(shop)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app, "c", CreditScreen)
        reasons = [r[10] for r in _rows(screen.query_one("#credit-customers"))]
        assert reasons == [c["reason"] for c in cli["customers"]]
        assert any("迟了" in r for r in reasons) and not any(re.search(r"[A-Za-z]{3,}", r) for r in reasons)
        assert "欠款" in text_of(screen.query_one("#credit-summary"))
        assert "赊账" in str(screen.sub_title)
