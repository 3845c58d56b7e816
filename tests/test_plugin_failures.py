"""Plugins that misbehave, through the real CLI, the real TUI and the real store: hook wrappers
work (they are called through pluggy); a plugin that raises, calls sys.exit or returns the wrong
type is reported by name (stderr once, the ``kehu.plugins`` logger, a TUI notification) and
kehu goes on; what a failing hook wrote through the store is undone; ``--debug`` shows
tracebacks."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from kehu_tui.app import KehuApp
from kehu_tui.screens.customer import CustomerScreen
from textual.pilot import Pilot

from kehu_core import hookimpl
from kehu_core.models import Customer
from kehu_core.plugins import Column, Panel
from kehu_core.store import Store
from kehu_core.testing import add_customer, make_store, reopen, run_kehu, screen_text, wait_until

TODAY = dt.date(2026, 11, 20)


@asynccontextmanager
async def tui(store: Store) -> AsyncIterator[Pilot]:
    """The real app under Pilot with notifications on (``run_test`` turns them off)."""
    app = KehuApp(store, today=store.today, watch_interval=0)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        yield pilot


def store_with(tmp_path: Path, **plugins: Any) -> tuple[Store, str]:
    """A store with the built-in plugins, ``plugins`` and one customer who bought today."""
    store = make_store(tmp_path / "store", today=TODAY, plugins=plugins)
    cid = add_customer(store, name="赵敏", emails=["zm@example.com"],
                       interactions=[{"kind": "purchase", "amount": 300, "paid": True}])
    return store, cid


# --- hook wrappers ---------------------------------------------------------------------------


class NewStyleWrapper:
    """Adds a value to every customer's values and overrides the points."""

    @hookimpl(wrapper=True)
    def customer_values(self, store: Any, customer: Any) -> Generator[None, list[dict[str, Any]], list[dict[str, Any]]]:
        results = yield
        # results come last-registered first and the first of a key wins: put ours in front
        return [{"wrapped": True, "points": -1}, *results]


class OldStyleWrapper:
    @hookimpl(hookwrapper=True)
    def customer_values(self, store: Any, customer: Any) -> Generator[None, Any, None]:
        outcome = yield
        outcome.force_result([*outcome.get_result(), {"old_style": customer.name}])


def test_a_hook_wrapper_changes_the_result(tmp_path: Path) -> None:
    store, cid = store_with(tmp_path, wrapper=NewStyleWrapper(), old=OldStyleWrapper())
    values = store.plugins.values(store, store.get(cid))
    assert values["wrapped"] is True and values["points"] == -1
    assert values["old_style"] == "赵敏"
    assert "tier" in values  # the wrapped plugins still answered
    assert store.plugins.failures == []
    # the same through the CLI, one customer and a whole list (customer_values_many)
    shown = run_kehu(store, "customer", "show", cid, "--json")
    assert shown.code == 0, shown.err
    assert shown.json()["wrapped"] is True and shown.json()["points"] == -1
    listed = run_kehu(store, "customer", "list", "--json")
    assert listed.code == 0, listed.err
    assert [(c["wrapped"], c["old_style"]) for c in listed.json()] == [(True, "赵敏")]
    assert "customer_values" in {h for p in store.plugins.describe() if p["name"] == "wrapper"
                                 for h in p["hooks"]}


class BrokenWrapper:
    @hookimpl(wrapper=True)
    def customer_values(self, store: Any, customer: Any) -> Generator[None, Any, Any]:
        yield
        raise RuntimeError("wrapper broke")

    @hookimpl(wrapper=True)
    def reminder_rules(self, store: Any) -> Generator[None, Any, Any]:
        yield
        return "not a list"


def test_a_failing_wrapper_leaves_the_result_it_wrapped(tmp_path: Path) -> None:
    store, cid = store_with(tmp_path, brokenwrapper=BrokenWrapper())
    values = store.plugins.values(store, store.get(cid))
    assert values["points"] == 300 and "tier" in values
    rules = {r.name for r in store.plugins.collect("reminder_rules", store=store)}
    assert "greeting" in rules
    failures = {(f.plugin, f.hook) for f in store.plugins.failures}
    assert failures == {("brokenwrapper", "wrapper of customer_values"),
                        ("brokenwrapper", "wrapper of reminder_rules")}


def test_a_wrapper_that_is_no_generator_is_refused_at_registration(tmp_path: Path) -> None:
    class NotAGenerator:
        @hookimpl(wrapper=True)
        def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
            return {}

    store = make_store(tmp_path / "store", today=TODAY)
    assert store.plugins.register(NotAGenerator(), "notgen") is False
    assert "notgen" not in store.plugins.names()
    failure = store.plugins.failures[-1]
    assert failure.plugin == "notgen" and "generator" in failure.error


# --- a plugin that raises --------------------------------------------------------------------


class Broken:
    """Raises in the hooks of every command."""

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        raise RuntimeError("boom in values")

    @hookimpl
    def tui_columns(self, store: Any) -> list[Column]:
        raise RuntimeError("boom in columns")


def test_a_raising_plugin_is_reported_once_and_the_cli_goes_on(tmp_path: Path) -> None:
    store, cid = store_with(tmp_path, broken=Broken())
    add_customer(store, name="钱多多")
    shown = run_kehu(store, "customer", "show", cid, "--json")
    assert shown.code == 0
    assert shown.json()["points"] == 300  # the other plugins' values are there
    assert shown.err.count("kehu: plugin 'broken' failed in customer_values: RuntimeError: boom in values") == 1
    assert "Traceback" not in shown.err
    listed = run_kehu(store, "customer", "list", "--json")
    assert listed.code == 0 and len(listed.json()) == 2
    assert listed.err.count("plugin 'broken' failed in customer_values") == 1  # not once per customer


def test_failures_go_through_the_kehu_plugins_logger(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store, cid = store_with(tmp_path, broken=Broken())
    store = reopen(store)  # a fresh host, which has reported nothing yet
    with caplog.at_level(logging.WARNING, logger="kehu.plugins"):
        for _ in range(3):
            store.plugins.values(store, store.get(cid))
    records = [r for r in caplog.records if r.name == "kehu.plugins"]
    assert [r.getMessage() for r in records] == [
        "plugin 'broken' failed in customer_values: RuntimeError: boom in values"]
    failure = records[0].failure  # type: ignore[attr-defined]
    assert failure.plugin == "broken" and 'raise RuntimeError("boom in values")' in failure.traceback
    assert len(store.plugins.failures) >= 3  # each one kept on the host, logged once


def test_debug_shows_the_traceback_of_a_plugin_failure_and_of_an_error(tmp_path: Path) -> None:
    store, cid = store_with(tmp_path, broken=Broken())
    shown = run_kehu(store, "--debug", "customer", "show", cid)
    assert shown.code == 0
    assert "kehu: plugin 'broken' failed in customer_values" in shown.err
    assert "Traceback (most recent call last)" in shown.err
    assert 'raise RuntimeError("boom in values")' in shown.err
    # a user error: a message and exit 1, the traceback only with --debug
    missing = run_kehu(store, "customer", "show", "c_nobody")
    assert missing.code == 1 and "Traceback" not in missing.err and "c_nobody" in missing.err
    debug = run_kehu(store, "--debug", "customer", "show", "c_nobody")
    assert debug.code == 1 and "Traceback (most recent call last)" in debug.err and "c_nobody" in debug.err


class Crash:
    """A bug in kehu itself, seen from a command a plugin adds."""

    @hookimpl
    def register_commands(self, cli: Any) -> None:
        @cli.command("crash")
        def crash() -> None:
            raise ZeroDivisionError("division by zero")


def test_an_internal_error_is_one_line_without_debug(tmp_path: Path) -> None:
    store, _ = store_with(tmp_path, crash=Crash())
    plain = run_kehu(store, "crash")
    assert plain.code == 1
    # a plugin's command: its failure is one line naming the plugin (no longer "internal error")
    assert plain.err.strip() == ("kehu: plugin 'crash' failed in its command crash: ZeroDivisionError: division by "
                                 "zero; what it wrote in the store was put back")
    debug = run_kehu(store, "--debug", "crash")
    assert debug.code == 1
    assert "Traceback (most recent call last)" in debug.err and "ZeroDivisionError" in debug.err


@pytest.mark.asyncio
async def test_the_tui_shows_a_notification_naming_the_failing_plugin(tmp_path: Path) -> None:
    store, _ = store_with(tmp_path, broken=Broken())
    async with tui(store) as pilot:
        app = pilot.app

        await wait_until(pilot, lambda: "plugin 'broken' failed" in screen_text(app),
                         what="a notification about 'broken' on screen")
        notes = [n for n in app._notifications if n.title == "plugin 'broken' failed"]  # Textual's list
        assert notes and all(n.severity == "error" and "boom" in n.message for n in notes)
        assert "赵敏" in screen_text(app)  # and the list is there


# --- results of the wrong type ----------------------------------------------------------------


class WrongTypes:
    """Every hook answers with something its hookspec does not allow."""

    @hookimpl
    def customer_fields(self) -> Any:
        return ["wechat"]

    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> Any:
        return 42

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> Any:
        return ["not", "a", "dict"]

    @hookimpl
    def customer_values_many(self, store: Any, customers: Any) -> Any:
        return ["nope"]

    @hookimpl
    def reminder_rules(self, store: Any) -> Any:
        return "rules"

    @hookimpl
    def tui_columns(self, store: Any) -> Any:
        return [object(), "junk"]

    @hookimpl
    def tui_panels(self, store: Any) -> Any:
        return {"title": "x"}

    @hookimpl
    def importers(self) -> Any:
        return "vcard"

    @hookimpl
    def exporters(self) -> Any:
        return [5]

    @hookimpl
    def message_senders(self, store: Any) -> Any:
        return [{"channel": "sms"}]


def test_results_of_the_wrong_type_are_reported_and_dropped(tmp_path: Path) -> None:
    store, cid = store_with(tmp_path, wrong=WrongTypes())
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("姓名,手机\n钱多多,13800138000\n", encoding="utf-8")
    runs = {
        "show": run_kehu(store, "customer", "show", cid),
        "show --json": run_kehu(store, "customer", "show", cid, "--json"),
        "set": run_kehu(store, "customer", "set", cid, "note=hello"),
        "list": run_kehu(store, "customer", "list", "--json"),
        "reminders": run_kehu(store, "reminders", "--json"),
        "import": run_kehu(store, "import", contacts),
        "export": run_kehu(store, "export", "--format", "csv", tmp_path / "out.csv"),
        "send": run_kehu(store, "send", "--segment", "all", "--template", "birthday", "--dry-run"),
        "check": run_kehu(store, "check"),
    }
    for what, result in runs.items():
        assert "Traceback" not in result.err + result.out, what
        assert result.code == (1 if what == "check" else 0), (what, result.err)
        assert "plugin 'wrong' failed in" in result.err + result.out, what
    assert runs["show --json"].json()["points"] == 300
    assert "wrong result: returned list, expected a dict of values" in runs["show"].err
    assert "reminder_rules: wrong result: returned str" in runs["reminders"].err
    assert (tmp_path / "out.csv").is_file()
    assert run_kehu(store, "search", "钱多多", "--json").json()[0]["name"] == "钱多多"
    fresh = reopen(store)
    assert "wechat" not in fresh.customer_model.model_fields
    assert ("wrong", "customer_fields") in {(f.plugin, f.hook) for f in fresh.plugins.failures}


@pytest.mark.asyncio
async def test_the_tui_drops_junk_columns_and_says_so(tmp_path: Path) -> None:
    store, _ = store_with(tmp_path, wrong=WrongTypes())
    async with tui(store) as pilot:
        app = pilot.app
        await wait_until(pilot, lambda: "plugin 'wrong' failed" in screen_text(app),
                         what="a notification about 'wrong' on screen")
        warned = [n for n in app._notifications if n.title == "plugin 'wrong' failed"]
        assert any(n.severity == "warning" and "tui_columns" in n.message for n in warned)


# --- sys.exit and writes of a failing hook ----------------------------------------------------


class Quitter:
    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        sys.exit(3)


def test_sys_exit_in_a_hook_is_a_failure_and_kehu_goes_on(tmp_path: Path) -> None:
    store, cid = store_with(tmp_path, quitter=Quitter())
    result = run_kehu(store, "purchase", "add", cid, "--amount", "50", "--date", TODAY.isoformat())
    assert result.code == 0, result.err
    assert "kehu: plugin 'quitter' failed in interaction_saved: called sys.exit(3)" in result.err
    purchases = [i for i in reopen(store).interactions(cid) if i.kind == "purchase"]
    assert len(purchases) == 2  # saved, and the points plugin still did its part
    assert [e["delta"] for e in store.ledger(cid, "points")] == [300, 50]


class Sneaky:
    """Writes through the store, then fails."""

    @hookimpl
    def interaction_saved(self, store: Store, customer: Customer, interaction: Any) -> None:
        store.append_ledger(customer.id, "sneaky", {"date": store.today, "note": "half done"})
        store.append_ledger(customer.id, "kept", {"date": store.today, "note": "also undone"})
        store.update_customer(customer.id, {"notes": "changed by sneaky"})
        raise RuntimeError("after writing")

    @hookimpl
    def customer_values(self, store: Store, customer: Customer) -> Any:
        store.append_ledger(customer.id, "sneaky", {"date": store.today, "note": "from values"})
        return "not a dict"  # a wrong result is a failure too: its writes go


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "customers").rglob("*"))
            if p.is_file()}


def test_a_hook_that_writes_and_then_fails_leaves_nothing(tmp_path: Path) -> None:
    store, cid = store_with(tmp_path)  # without the plugin: the files as they are
    store.append_ledger(cid, "kept", {"date": TODAY, "note": "before"})
    assert store.plugins.register(Sneaky(), "sneaky")
    before = _files(store.root)

    store.plugins.values(store, store.get(cid))
    assert _files(store.root) == before
    purchase = store.add_interaction(cid, {"kind": "purchase", "date": TODAY, "amount": 20, "paid": True})
    after = _files(store.root)
    new = set(after) - set(before)
    assert len(new) == 1 and purchase.id in next(iter(new))  # only the purchase itself
    changed = {k for k in before if after[k] != before[k]}
    assert changed == {k for k in before if k.endswith("points.ledger.yaml")}  # the points plugin's
    assert not store.ledger_file(cid, "sneaky").exists()
    assert [e["note"] for e in store.ledger(cid, "kept")] == ["before"]
    assert store.get(cid).notes != "changed by sneaky"
    assert store.index.get(cid) is not None and "changed by sneaky" not in str(store.index.get(cid))
    failures = {(f.plugin, f.hook) for f in store.plugins.failures}
    assert failures == {("sneaky", "interaction_saved"), ("sneaky", "customer_values")}


def test_writes_of_a_failing_hook_in_a_batch_are_undone(tmp_path: Path) -> None:
    store, cid = store_with(tmp_path, sneaky=Sneaky())
    before = store.ledger(cid, "points")
    with store.batch():  # what an import does: plugins hear of the purchases at the end
        store.add_interaction(cid, {"kind": "purchase", "date": TODAY, "amount": 70, "paid": True})
        store.add_interaction(cid, {"kind": "purchase", "date": TODAY, "amount": 30, "paid": True})
    fresh = reopen(store)
    assert not fresh.ledger_file(cid, "sneaky").exists()
    assert not fresh.ledger_file(cid, "kept").exists()
    assert [e["delta"] for e in fresh.ledger(cid, "points")] == [*(e["delta"] for e in before), 70, 30]
    assert fresh.get(cid).notes != "changed by sneaky"


class BadHandOvers:
    """Columns and panels whose callables fail when the TUI calls them (outside the hooks)."""

    @hookimpl
    def tui_columns(self, store: Any) -> list[Column]:
        return [Column("退出列", lambda store, customer: sys.exit(4), "quits")]

    @hookimpl
    def tui_panels(self, store: Any) -> list[Panel]:
        return [Panel("数字面板", lambda store, customer: 42), Panel("退出面板", lambda store, customer: sys.exit(5)),
                Panel("好面板", lambda store, customer: "一切正常")]


@pytest.mark.asyncio
async def test_a_column_or_panel_that_fails_in_the_tui_is_reported_and_the_app_goes_on(tmp_path: Path) -> None:
    """A column value or panel render calling sys.exit ended the TUI, and a render giving a
    number ended it with Textual's traceback: each is now reported by the plugin's name and
    shown as failed where it would be; the list, the customer screen and the other panels go on."""
    store, _cid = store_with(tmp_path, bad=BadHandOvers())
    async with tui(store) as pilot:
        app = pilot.app
        await wait_until(pilot, lambda: "tui_columns '退出列': called sys.exit(4)" in screen_text(app),
                         what="the column's failure said")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerScreen) and "一切正常" in screen_text(app),
                         what="the customer screen with the good panel")
        text = screen_text(app)
        assert "wrong result: returned int" in text and "sys.exit(5)" in text, text
        assert app.is_running and app.return_code is None
        said = {n.message for n in app._notifications if n.title == "plugin 'bad' failed"}
        assert any("tui_panels '数字面板': wrong result: returned int" in m for m in said), said
        assert any("tui_panels '退出面板': called sys.exit(5)" in m for m in said), said
