"""Customer attitude (issue 17 part 6): loyal / brand-switching / no loyalty read from purchase
history (buying days, gaps, share of the shop's categories), through the real commands: the
`attitude` key of `customer show` and `customer list --json`, `customer list --attitude`, a
segment's `attitude:`, and the rule's settings in kehu.yaml (checked, path:line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import kehu

CATEGORIES = """attitude:
  categories:
    绿茶: [龙井, 碧螺春]
    红茶: [祁门, 正山小种]
    茶具: [紫砂壶, 茶杯]
"""


def _ok(store: Path, *args: str) -> str:
    result = kehu(*args, store=store)
    assert result.code == 0, result.err
    return result.out.strip().splitlines()[-1] if result.out.strip() else ""


def _buy(store: Path, cid: str, day: str, item: str, price: str = "100") -> str:
    return _ok(store, "purchase", "add", cid, "--date", day, "--item", item, "--price", price, "--paid")


def _configure(store: Path, text: str) -> None:
    config = store / "kehu.yaml"
    # the sections go before `plugins:`, the file's last one
    config.write_text(config.read_text(encoding="utf-8").replace("plugins:", text + "plugins:"), encoding="utf-8")


@pytest.fixture
def shop(store_path: Path) -> dict[str, str]:
    _configure(store_path, CATEGORIES)
    s = store_path
    names = ("赵敏", "钱多多", "孙丽", "周新", "吴其", "郑无")
    ids = {name: _ok(s, "customer", "add", "--name", name) for name in names}
    for day, item in (("2026-08-01", "明前龙井"), ("2026-09-01", "紫砂壶"), ("2026-10-01", "碧螺春"),
                      ("2026-11-01", "明前龙井")):
        _buy(s, ids["赵敏"], day, item)  # monthly, green tea and teaware: loyal
    for day in ("2026-01-10", "2026-02-10", "2026-03-10"):
        _buy(s, ids["钱多多"], day, "祁门红茶")  # monthly, then nothing since March: switching
    for day in ("2026-08-05", "2026-09-05", "2026-10-05", "2026-11-05"):
        _buy(s, ids["孙丽"], day, "正山小种")  # monthly, black tea only (1 of 3 categories)
    _buy(s, ids["周新"], "2026-10-20", "茶杯")  # once: no loyalty
    _buy(s, ids["吴其"], "2026-10-01", "明前龙井")
    _buy(s, ids["吴其"], "2026-11-01", "碧螺春")  # twice, on rhythm: not a regular yet
    voided = _buy(s, ids["郑无"], "2026-11-10", "明前龙井")
    _ok(s, "purchase", "void", ids["郑无"], voided)  # a voided purchase is no purchase
    return ids


def _attitudes(store: Path, *args: str) -> dict[str, str | None]:
    return {c["name"]: c["attitude"] for c in kehu("customer", "list", "--json", *args, store=store).json()}


def test_attitude_from_purchase_history_in_show_and_list(store_path: Path, shop: dict) -> None:
    assert _attitudes(store_path) == {"赵敏": "loyal", "钱多多": "switching", "孙丽": "loyal",
                                      "周新": "no_loyalty", "吴其": "no_loyalty", "郑无": None}
    shown = kehu("customer", "show", shop["钱多多"], "--json", store=store_path).json()
    assert shown["attitude"] == "switching"
    assert shown["attitude_reason"] == "no purchase for 255 days; usually every 30 days"  # gaps 31 and 28
    loyal = kehu("customer", "show", shop["赵敏"], "--json", store=store_path).json()
    assert loyal["attitude_reason"] == "bought on 4 days, about every 31 days, last 19 days ago, 2 of 3 categories"
    once = kehu("customer", "show", shop["周新"], "--json", store=store_path).json()
    assert once["attitude"] == "no_loyalty" and "bought once" in once["attitude_reason"]


def test_the_reason_is_said_in_the_users_language(store_path: Path, shop: dict) -> None:
    """The reason is in Chinese under --lang zh_CN (show's text and its --json value), in
    English by default, and each run in its own language though the index keeps the attitudes."""
    import re

    english = kehu("customer", "show", shop["孙丽"], "--json", store=store_path).json()["attitude_reason"]
    assert english == "bought on 4 days, about every 31 days, last 15 days ago, 1 of 3 categories"
    chinese = kehu("--lang", "zh_CN", "customer", "show", shop["孙丽"], "--json", store=store_path).json()
    assert chinese["attitude"] == "loyal"  # the identifier stays, for scripts
    assert chinese["attitude_reason"] == "有 4 天购买，约每 31 天一次，上次在 15 天前，买了 3 个品类中的 1 个"
    reasons = {name: ("已 255 天没有购买；平常每 30 天买一次" if name == "钱多多" else
                      "{window} 天内只买过一次（2026-10-20）" if name == "周新" else
                      "有 2 天购买：还不是常客（3 天起算忠诚）" if name == "吴其" else
                      "统计期内没有购买" if name == "郑无" else None)
               for name in shop}
    for name, reason in reasons.items():
        if reason is None:
            continue
        shown = kehu("--lang", "zh_CN", "customer", "show", shop[name], store=store_path)
        assert shown.code == 0, shown.err
        line = next(li for li in shown.out.splitlines() if li.startswith("态度依据"))
        if "{window}" in reason:
            assert re.search(r"\d+ 天内只买过一次（2026-10-20）", line), line
        else:
            assert reason in line, line
        assert not re.search(r"[A-Za-z]{3,}", line), line  # no English left in it
    again = kehu("customer", "show", shop["钱多多"], store=store_path)
    assert "no purchase for 255 days; usually every 30 days" in again.out and "没有购买" not in again.out


def test_filter_by_attitude_and_segments(store_path: Path, shop: dict) -> None:
    assert set(_attitudes(store_path, "--attitude", "loyal")) == {"赵敏", "孙丽"}
    assert set(_attitudes(store_path, "--attitude", "品牌转换")) == {"钱多多"}
    assert set(_attitudes(store_path, "--attitude", "No-Loyalty")) == {"周新", "吴其"}
    text = kehu("customer", "list", "--attitude", "switching", store=store_path)
    assert text.code == 0 and "钱多多" in text.out and "switching" in text.out and "赵敏" not in text.out
    bad = kehu("customer", "list", "--attitude", "fickle", store=store_path)
    assert bad.code == 1 and "loyal" in bad.err and "Traceback" not in bad.err

    shown = kehu("segment", "show", "switchers", "--json", store=store_path)
    assert shown.code == 0, shown.err
    assert "钱多多" in shown.out and "赵敏" not in shown.out
    _configure(store_path, "segments:\n  regulars: {attitude: [loyal], bought: [龙井]}\n")
    regulars = kehu("segment", "show", "regulars", "--json", store=store_path)
    assert "赵敏" in regulars.out and "孙丽" not in regulars.out


def test_the_rule_is_configurable_and_checked(store_path: Path, shop: dict) -> None:
    _configure(store_path, "attitude_extra: 1\n")  # keeps the line numbers below honest
    config = store_path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    # a loyal customer buys at least half of the shop's categories: 孙丽 buys black tea only
    config.write_text(text.replace("attitude:\n", "attitude:\n  loyal_share: 0.5\n"), encoding="utf-8")
    found = _attitudes(store_path)
    assert found["孙丽"] == "switching" and found["赵敏"] == "loyal"
    reason = kehu("customer", "show", shop["孙丽"], "--json", store=store_path).json()["attitude_reason"]
    assert reason == "buys 1 of the shop's 3 categories (loyal from 50%)"
    # nine months without buying is still on rhythm if the usual gap may stretch tenfold
    config.write_text(text.replace("attitude:\n", "attitude:\n  lapse_factor: 10\n"), encoding="utf-8")
    assert _attitudes(store_path)["钱多多"] == "loyal"

    config.write_text(text.replace("attitude:\n", "attitude:\n  lapse_factor: 0.5\n"), encoding="utf-8")
    bad = kehu("customer", "list", "--json", store=store_path)
    line = text.splitlines().index("attitude:") + 2
    assert bad.code == 1 and f"kehu.yaml:{line}: attitude.lapse_factor" in bad.err
    config.write_text(text + "segments:\n  odd: {attitude: fickle}\n", encoding="utf-8")
    bad = kehu("segment", "show", "odd", store=store_path)
    assert bad.code == 1 and "segments.odd.attitude" in bad.err and "kehu.yaml:" in bad.err


@pytest.mark.asyncio
async def test_the_tui_list_has_an_attitude_column_and_filter(store_path: Path, shop: dict) -> None:
    """The TUI shows what `customer list --attitude` answers: a column on every row and a
    filter beside tag, tier and owner (the real app, Pilot)."""
    import datetime as dt

    from kehu_tui.app import KehuApp
    from kehu_tui.widgets.customers.table import CustomerTable
    from textual.widgets import Select, Static

    from kehu_core.store import open_store

    from .test_tui import SIZE, text_of, wait_for

    expected = _attitudes(store_path)
    names = {"loyal": "loyal", "switching": "switching", "no_loyalty": "no loyalty", None: ""}
    app = KehuApp(open_store(store_path), today=dt.date(2026, 11, 20), watch_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(CustomerTable)

        def shown() -> dict[str, str]:
            column = table.get_column_index("attitude")
            return {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[column]) for i in range(table.row_count)}

        await wait_for(pilot, lambda: table.row_count == len(expected) and not table.values_pending
                       and "…" not in shown().values(), "the attitudes")
        assert shown() == {name: names[value] for name, value in expected.items()}

        await pilot.press("f")
        select = app.screen.query_one("#filter-attitude", Select)
        select.value = "switching"
        await wait_for(pilot, lambda: table.query_state.attitude == "switching" and table.complete
                       and not table.fetching, "the filtered list")
        await wait_for(pilot, lambda: not table.values_pending, "the values")
        cli = {c["name"] for c in kehu("customer", "list", "--attitude", "switching", "--json",
                                       store=store_path).json()}
        assert set(shown()) == cli == {"钱多多"}
        assert "attitude: switching" in text_of(app.screen.query_one("#list-status", Static))
        select.clear()
        await wait_for(pilot, lambda: table.query_state.attitude is None and table.complete
                       and table.row_count == len(expected), "the whole list again")


@pytest.mark.asyncio
@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_the_tui_customer_screen_says_the_attitude_and_why(store_path: Path, shop: dict, language: str) -> None:
    """A customer's screen shows the attitude with the reason `customer show` gives, in the
    viewer's language (the real app, Pilot)."""
    import datetime as dt

    from kehu_tui.app import KehuApp
    from kehu_tui.screens.customer import CustomerScreen

    from kehu_core import i18n
    from kehu_core.store import open_store

    from .test_tui import SIZE, text_of, wait_for

    i18n.set_language(language)
    cli = kehu("--lang", language, "customer", "show", shop["钱多多"], "--json", store=store_path).json()
    app = KehuApp(open_store(store_path), today=dt.date(2026, 11, 20), watch_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        app.open_customer(shop["钱多多"])
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen) and app.screen.query("#values"),
                       "the customer")
        card = app.screen.query_one("#values")
        await wait_for(pilot, lambda: cli["attitude_reason"] in " ".join(text_of(card).split()), "the reason")
        shown = " ".join(text_of(card).split())
        assert ("switching · no purchase for 255 days" in shown if language == "en"
                else "品牌转换 · 已 255 天没有购买" in shown)
