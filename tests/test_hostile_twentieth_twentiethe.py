"""The twentieth outside round (E, 2026-12-06): plugins writing through the store's API, clones
syncing, writers at one moment. Each failed on the code before its fix. See docs/reliability.md,
"The outside attacker's variants"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.models import Purchase
from kehu_core.testing import make_store, open_customer, reopen, run_kehu

TODAY = dt.date(2026, 11, 20)


class _Overspends:
    """A third party's reaction to a sale writing a line of the points ledger through the
    store's API (``store.append_ledger``) that the points plugin's ledger rule rejects: a
    redemption of more points than the customer holds."""

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        if isinstance(interaction, Purchase):
            store.append_ledger(customer.id, "points", {"date": store.today, "reason": "redeem", "delta": -100000})


class _MarksDone:
    """A reaction to a sale marking a reminder done in the customer's reminders ledger, as kehu's
    own rule of those lines refuses it (an action that is none, a key of another customer)."""

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        store.append_ledger(customer.id, "reminders", {"date": store.today, "key": f"thanks:{customer.id}:x",
                                                       "action": "explode"})


def test_a_ledger_line_a_rule_rejects_is_not_written_by_any_door(tmp_path: Any) -> None:
    """A plugin's `interaction_saved` appending to the points ledger a redemption of 100 000
    points (the customer held 10): written, `purchase add` exit 0 with no word, and then
    `kehu check` rejected the store ("redeems 100000 points when 10 were left"), so every later
    `kehu sync` stopped. The plugins' `validate_ledger` rules are asked before a line is added,
    as `validate_customer` is before a profile is written: a line that would bring a new
    message is refused, nothing written, and the plugin named (its hook's failure); the sale and
    its own points stay, `check` clean."""
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}],
                       plugins={"overspends": _Overspends(), "marks": _MarksDone()})
    cid = next(iter(store.iter_customer_ids()))
    bought = run_kehu(store, "purchase", "add", cid, "--item", "茶", "--price", "10", "--paid")
    assert bought.code == 0, bought
    assert "plugin 'overspends' failed in interaction_saved" in bought.err, bought.err
    assert "not written, `kehu check` would reject it: redeems 100000 points" in bought.err, bought.err
    assert "plugin 'marks' failed in interaction_saved" in bought.err, bought.err
    assert "action: expected done or snooze, not 'explode'" in bought.err, bought.err
    fresh = reopen(store)
    assert fresh.ledger(cid, "reminders") == []
    ledger = fresh.ledger(cid, "points")
    assert [e["reason"] for e in ledger] == ["purchase"], ledger
    assert len(fresh.interactions(cid)) == 1
    checked = run_kehu(store, "check")
    assert checked.code == 0, checked



def two_sales_imported(store: Any, folder: Any, first: int) -> Any:
    """`kehu import` of a sheet of two customers' sales (张三's of ¥``first``, 李四's of ¥50):
    the store's batch, whose ledger lines are written once at its end; it exits 0."""
    sheet = folder / "sales.csv"
    sheet.write_text("姓名,电话,交易日期,购买商品,成交金额\n"
                     f"张三,13912345678,2026-11-01,茶,{first}\n李四,13912345679,2026-11-02,壶,50\n", encoding="utf-8")
    imported = run_kehu(store, "import", sheet)
    assert imported.code == 0, imported
    return imported


def test_an_imports_ledger_line_a_rule_rejects_is_not_written_either(tmp_path: Any) -> None:
    """The same plugin during `kehu import` of a sheet of two customers' sales (the store's batch,
    whose ledger lines are written once at its end): each redemption was written, the import
    "0 failed", `check` then rejecting both ledgers. A third party's line is asked of the ledger
    rules as it is added in a batch too (kehu's own plugins' are not there: 5 000 sales of one
    customer took 18 s more)."""
    store = make_store(tmp_path / "store", today=TODAY, plugins={"overspends": _Overspends()})
    imported = two_sales_imported(store, tmp_path, 100)
    assert imported.err.count("plugin 'overspends' failed in interaction_saved") == 2, imported.err
    fresh = reopen(store)
    for cid in fresh.iter_customer_ids():
        assert [e["reason"] for e in fresh.ledger(cid, "points")] == ["purchase"]
    checked = run_kehu(store, "check")
    assert checked.code == 0, checked


class _WritesThenRaises:
    """A third party's command, `kehu gift ID`: changes the profile, adds a ledger line, then
    fails (a bug of its own, a network call after the writes)."""

    @hookimpl
    def register_commands(self, cli: Any) -> None:
        import click

        @cli.command("gift")
        @click.argument("cid")
        @click.pass_context
        def gift(ctx: click.Context, cid: str) -> None:
            store = ctx.obj.store
            store.update_customer(cid, {"notes": "送过礼"})
            store.append_ledger(cid, "gifts", {"date": store.today, "reason": "gift", "delta": 1})
            raise ValueError("the gift shop's server said no")


def test_a_plugin_command_that_writes_then_fails_is_named_and_leaves_nothing(tmp_path: Any) -> None:
    """`kehu gift ID`, a plugin's command, after changing the profile and adding a ledger line
    raised ValueError: "kehu: internal error: ValueError" (kehu's bug, by its words, no plugin
    named) and the note and the line stayed, for `kehu sync` to share. A plugin's command runs
    as a hook does: its failure names the plugin and the command, and what it wrote through the
    store is put back."""
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}],
                       plugins={"gifts": _WritesThenRaises()})
    cid = next(iter(store.iter_customer_ids()))
    before = store.customer_file(cid).read_bytes()
    given = run_kehu(store, "gift", cid)
    assert given.code == 1, given
    assert "plugin 'gifts' failed in its command gift: ValueError: the gift shop's server said no" in given.err, given
    assert "internal error" not in given.err
    assert store.customer_file(cid).read_bytes() == before
    assert not store.ledger_file(cid, "gifts").exists()
    assert run_kehu(store, "check").code == 0

# --- the TUI: a customer's file changed underneath its edit form ---------------------------------


async def _editing(tmp_path: Any, change: Any) -> tuple[Any, str, str]:
    """The real app (watching the folder) with 赵敏's edit form open, untouched; ``change(path)``
    then changes her profile on disk as another process would. What the app then shows, its
    notifications, and whether it still runs."""
    from kehu_tui.app import KehuApp
    from kehu_tui.screens.edit import EditCustomerScreen

    from kehu_core.testing import screen_text, wait_until

    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}])
    cid = next(iter(store.iter_customer_ids()))
    app = KehuApp(store, today=TODAY, watch_interval=0.1)
    said: list[str] = []
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await open_customer(pilot, "赵敏")
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditCustomerScreen), what="the form")
        change(store.customer_file(cid))
        for _ in range(30):
            await pilot.pause(0.1)
        said = [str(n.message) for n in app._notifications]
        return app.is_running and app.return_code is None, screen_text(app), "\n".join(said)


def _marked(path: Any) -> None:
    """Her profile as a `kehu sync` stopped on it (or a hand `git merge`) leaves it: git's markers."""
    text = path.read_text(encoding="utf-8")
    path.write_text(f"<<<<<<< HEAD\n{text}=======\n{text.replace('赵敏', '赵敏敏')}>>>>>>> origin/master\n",
                    encoding="utf-8")


def _fifo(path: Any) -> None:
    """A FIFO in her profile's place (a colleague's commit kehu refuses, a hand `mkfifo`)."""
    import os

    path.unlink()
    os.mkfifo(path)


@pytest.mark.asyncio
@pytest.mark.parametrize("change", [_marked, _fifo], ids=["git's markers", "a FIFO"])
async def test_a_profile_broken_underneath_its_open_edit_form_is_said_not_a_crash(tmp_path: Any, change: Any) -> None:
    """The TUI's edit form open on 赵敏, untouched, while another process leaves her profile
    unreadable (a sync stopped with git's markers in it; a FIFO in its place): the form reloaded
    it on the watcher's notice and the app ended in a RecordError traceback (the terminal left
    as Textual left it). The form says the file cannot be read, and why, and stays as it was;
    the app goes on."""
    running, screen, _said = await _editing(tmp_path, change)
    assert running, screen
    assert "cannot be read now" in screen, screen
    assert ("unresolved git merge conflict" if change is _marked else "is a FIFO") in screen, screen


class _LongPanel:
    """A panel showing all it has: a log of 200 000 lines."""

    @hookimpl
    def tui_panels(self, store: Any) -> list[Any]:
        from kehu_core.plugins import Panel

        return [Panel("日志", lambda store, customer: "一行\n" * 200_000),
                Panel("好面板", lambda store, customer: "一切正常")]


@pytest.mark.asyncio
async def test_a_panel_of_200_000_lines_is_the_plugins_wrong_result_not_a_frozen_screen(tmp_path: Any) -> None:
    """A plugin panel of 200 000 lines: opening the customer's screen took a minute, the app
    answering no key meanwhile. A panel gives at most 1 000 lines and 100 000 characters
    (`handed.MAX_PANEL_LINES`); more is its plugin's wrong result, named in the panel, and the
    screen opens at once with the other panels. (The bound is checked, not timed: speed is
    measured in bench/.)"""

    from kehu_core.testing import screen_text, tui

    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}], plugins={"long": _LongPanel()})
    async with tui(store) as pilot:
        app = pilot.app
        await open_customer(pilot, "赵敏", showing="一切正常")
        assert "plugin panel failed: wrong result: returned a text" in screen_text(app), screen_text(app)
        assert screen_text(app).count("一行") == 0
