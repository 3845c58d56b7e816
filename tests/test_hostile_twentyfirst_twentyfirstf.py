"""The twenty-first round (twentyfirstf, 2026-12-07, issue 16): the TUI attacked. Each test
failed on the code before its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kehu_core.models import Purchase
from kehu_core.testing import make_store, open_customer, reopen, screen_text, wait_until

TODAY = dt.date(2026, 11, 20)


def _wrong_value(config: Path) -> None:
    """A setting kehu.yaml cannot hold (a hand edit, a colleague's settings pulled by a sync)."""
    config.write_text(config.read_text(encoding="utf-8") + "\npurchases:\n  default_paid: maybe\n",
                      encoding="utf-8")


def _no_yaml(config: Path) -> None:
    """kehu.yaml that is no YAML at all (an edit saved half-way)."""
    config.write_text("purchases: [\n", encoding="utf-8")


@pytest.mark.asyncio
@pytest.mark.parametrize("breaking", [_wrong_value, _no_yaml], ids=["a wrong value", "no YAML"])
async def test_kehu_yaml_broken_under_an_open_purchase_form_keeps_the_app_and_the_sale(tmp_path: Any,
                                                                                      breaking: Any) -> None:
    """The purchase form open on 赵敏 while kehu.yaml is broken underneath: the app said its
    settings read before are kept until it is mended, the sale was saved, and then the app ended
    in a RecordError traceback (its worker opened a fresh store, which read kehu.yaml again, to
    show her values after the save). The worker works with the settings the app keeps: the sale
    is saved once, her screen shows it and her plugin values, and the app goes on."""
    from kehu_tui.app import KehuApp
    from kehu_tui.screens.customer import CustomerScreen
    from kehu_tui.screens.interaction import AddInteractionScreen

    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}])
    cid = next(iter(store.iter_customer_ids()))
    app = KehuApp(store, today=TODAY, watch_interval=0.1)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await open_customer(pilot, "赵敏", showing="Tier")
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, AddInteractionScreen), what="the form")
        app.screen.query_one("#row-item").value = "龙井"  # type: ignore[attr-defined]
        app.screen.query_one("#row-price").value = "128"  # type: ignore[attr-defined]
        config = store.root / "kehu.yaml"
        kept = config.read_bytes()
        breaking(config)
        await wait_until(pilot, lambda: "cannot be read now" in screen_text(app), what="the notice")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerScreen) and "saved purchase" in screen_text(app),
                         what="the sale saved")
        for _ in range(20):  # her values computed again in the background, the watcher looking
            await pilot.pause(0.1)
        assert app.is_running and app.return_code is None, screen_text(app)
        assert "龙井" in screen_text(app)
    config.write_bytes(kept)  # mended: the sale is there, once
    sales = [r for r in reopen(store).interactions(cid) if isinstance(r, Purchase)]
    assert [(s.items[0].name, s.amount) for s in sales] == [("龙井", 128)]


@pytest.mark.asyncio
async def test_the_purchase_forms_dates_are_read_as_every_door_reads_a_day(tmp_path: Any) -> None:
    """The TUI's purchase form refused a Date or Due typed as `kehu purchase add --date` and the
    pay form take one (`2026/11/1`, `2026-11-1`, full-width digits from an IME: `clock.read_day`,
    the one rule of a typed day), saying "is no date"; a day and a time (`2026-11-20T00:00`) was
    refused in Python's words ("Invalid isoformat string"). They are read by the one rule: the
    first saved on its day, the second named at its field as the CLI names it, nothing saved."""
    from kehu_tui.screens.customer import CustomerScreen
    from kehu_tui.screens.interaction import AddInteractionScreen

    from kehu_core.testing import tui

    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}])
    cid = next(iter(store.iter_customer_ids()))
    async with tui(store) as pilot:
        app = pilot.app
        await open_customer(pilot, "赵敏")

        async def sell(**typed: str) -> str:
            await pilot.press("p")
            await wait_until(pilot, lambda: isinstance(app.screen, AddInteractionScreen), what="the form")
            for name, value in {"item": "龙井", "price": "128", **typed}.items():
                app.screen.query_one(f"#row-{name}").value = value  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            await pilot.pause(0.2)
            return screen_text(app)

        shown = await sell(date="2026/11/1", due="２０２６-12-1")
        assert isinstance(app.screen, CustomerScreen), shown
        for date, due in (("2026-11-1", ""), ("2026-11-20T00:00", ""), ("2026-11-20", "2026-12-01T00:00")):
            shown = await sell(date=date, due=due)
            if "T" in date + due:
                assert isinstance(app.screen, AddInteractionScreen), shown
                said = app.screen.query_one("#row-date" if "T" in date else "#row-due").error  # type: ignore[attr-defined]
                assert said.endswith("is not a date; expected YYYY-MM-DD") and "isoformat" not in shown, said
                await pilot.press("escape")
            else:
                assert isinstance(app.screen, CustomerScreen), shown
    sales = sorted((s.date, s.due) for s in reopen(store).interactions(cid) if isinstance(s, Purchase))
    assert [s[0] for s in sales] == [dt.date(2026, 11, 1), dt.date(2026, 11, 1)], sales  # two saved, no more
    assert (dt.date(2026, 11, 1), dt.date(2026, 12, 1)) in sales, sales
