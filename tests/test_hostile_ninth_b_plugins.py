"""Ninth outside round, B (issue 16, kind 9): plugins whose hooks return what is no JSON value,
raise GeneratorExit, leave threads running, run kehu commands in-process or yield reminders
without end, each seen failing before its fix. Real stores and processes; the plugins are real
objects registered with the store (or installed through an entry point)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.testing import add_customer, make_store, run_kehu

from .pluginutil import installed_plugin

# --- kind 9: plugins ---------------------------------------------------------------------------


class _LoudText:
    def __str__(self) -> str:
        raise RuntimeError("no text of me")

    __repr__ = __str__


def _never(*_args: Any) -> Iterator[int]:
    raise RuntimeError("lazily")
    yield 1


NOT_JSON = {
    "a-set": {1, 2},
    "nan": math.nan,
    "bytes": b"\xff",
    "an-object-whose-text-raises": _LoudText(),
    "a-generator-raising-lazily": _never(),
    "50-mb-of-text": "x" * 50_000_000,
}


@pytest.mark.parametrize("value", NOT_JSON.values(), ids=NOT_JSON.keys())
def test_a_value_that_is_no_json_value_is_the_plugins_failure(tmp_path: Path, value: Any) -> None:
    """``customer_values`` returns ``{key: JSON-able value}`` (the hookspec). A set, bytes or a
    generator was shown and listed as Python's text of it (exit 0); an object whose text raises
    ended `customer show` and `customer list --json` in "internal error"; NaN made `--json`
    write `NaN`, which no JSON reader takes; 50 MB of text was kept in the index for the customer
    and took `customer show` 400 MB. Now each is the plugin's failure, named, its values left
    out, and the command goes on."""

    class Odd:
        @hookimpl
        def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
            return {"odd": value}

    store = make_store(tmp_path / "store", plugins={"odd": Odd()})
    cid = add_customer(store, name="赵敏")
    for argv in (["customer", "show", cid, "--json"], ["customer", "list", "--json"], ["customer", "show", cid]):
        result = run_kehu(store, *argv)
        assert result.code == 0, (argv, result.err)
        assert "plugin 'odd' failed in customer_values" in result.err, result.err
        assert "internal error" not in result.err
        if "--json" in argv:
            data = json.loads(result.out, parse_constant=lambda word: pytest.fail(f"{word} in --json"))
            shown = data[0] if isinstance(data, list) else data
            assert shown["name"] == "赵敏" and "odd" not in shown
        else:
            assert "赵敏" in result.out and "odd" not in result.out


def test_a_generatorexit_raised_by_a_hook_is_the_plugins_failure(tmp_path: Path) -> None:
    """A hook raising GeneratorExit (a plain function of the plugin, no generator of kehu's
    closed) ended `customer show` with a Python traceback; it is the plugin's failure."""

    class Closer:
        @hookimpl
        def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
            raise GeneratorExit

    store = make_store(tmp_path / "store", plugins={"closer": Closer()})
    cid = add_customer(store, name="赵敏")
    result = run_kehu(store, "customer", "show", cid)
    assert result.code == 0, result.err
    assert "plugin 'closer' failed in customer_values" in result.err
    assert "Traceback" not in result.err and "赵敏" in result.out


THREADING_PLUGIN = """
import threading
from kehu_core import hookimpl

stop = threading.Event()  # never set: the worker waits for ever

@hookimpl
def customer_values(store, customer):
    threading.Thread(target=stop.wait, name="lingering-worker").start()
    return {"lingering": 1}
"""


def test_a_thread_a_plugin_leaves_running_does_not_keep_kehu_from_ending(tmp_path: Path) -> None:
    """A plugin (installed, found through its entry point) whose hook starts a thread that never
    ends: `kehu customer show` printed the customer and then never ended, as Python waits for
    every thread that is no daemon. Now kehu ends with the command's exit code and names the
    threads it does not wait for."""
    site = installed_plugin(tmp_path / "site", "lingering_kehu", "lingering", THREADING_PLUGIN)
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}])
    cid = next(iter(store.iter_customer_ids()))
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    try:
        result = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store.root), "customer", "show",
                                 cid, "--json"], capture_output=True, text=True, env=env, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("kehu never ended: it waited for the plugin's thread")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["lingering"] == 1
    assert "lingering-worker" in result.stderr and "does not wait" in result.stderr


def test_a_hook_running_a_kehu_command_in_process_is_refused_at_once(tmp_path: Path) -> None:
    """A plugin's ``interaction_saved`` that runs a kehu command in its own process
    (``kehu_core.cli.run``) while the purchase that called it holds the store's lock: the inner
    command waited 30 s for a lock its own process held, then said "another kehu process is
    writing". Now it is refused at once, naming why; the purchase is saved, once."""
    from kehu_core.cli import run

    inner: list[int] = []

    class Recursing:
        @hookimpl
        def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
            inner.append(run(["--store", str(store.root), "customer", "set", customer.id, "level=金卡"]))

    store = make_store(tmp_path / "store", plugins={"recursing": Recursing()})
    cid = add_customer(store, name="赵敏")
    result = run_kehu(store, "purchase", "add", cid, "--item", "龙井", "--price", "10")
    assert result.code == 0, result.err
    assert inner == [1]
    assert "this kehu command is already writing to the store" in result.err, result.err
    assert "another kehu process" not in result.err
    shown = run_kehu(store, "customer", "show", cid, "--json").json()
    assert len(shown["purchases"]) == 1 and shown.get("level") != "金卡"


def test_a_reminder_rule_that_yields_without_end_is_the_plugins_failure(tmp_path: Path) -> None:
    """A reminder rule's ``due`` is an iterable (a generator, for the built-in rules); one whose
    loop forgot its stop yielded for ever, and `kehu reminders` took 16 GB in a minute and never
    answered. A rule may give one reminder a day of the window and one an interaction, and
    10 000 more (``reminder_engine.MAX_REMINDERS``); past that it is the plugin's failure, named,
    and the other rules' reminders are listed. (Here 100 000, which the engine took whole.)"""
    import datetime as dt

    from kehu_core.models import Reminder

    class Endless:
        name = "endless"

        def due(self, store: Any, customer: Any, history: Any, start: dt.date, end: dt.date) -> Iterator[Reminder]:
            for i in range(100_000):
                yield Reminder(customer_id=customer.id, customer_name=customer.name, due=start, rule=self.name,
                               title="again", key=f"endless:{customer.id}:{i}")

    class Plugin:
        @hookimpl
        def reminder_rules(self, store: Any) -> list[Any]:
            return [Endless()]

    store = make_store(tmp_path / "store", plugins={"endless": Plugin()})
    add_customer(store, name="赵敏", birthday="1990-11-25")
    result = run_kehu(store, "reminders", "--json")
    assert result.code == 0, result.err
    assert "plugin 'endless' failed in reminder rule endless" in result.err, result.err[:500]
    reminders = json.loads(result.out)
    assert not [r for r in reminders if r["rule"] == "endless"]
    assert any(r["rule"] != "endless" for r in reminders)  # the birthday, from the built-in rules


def test_a_hook_that_only_reads_cannot_write_to_the_store(tmp_path: Path) -> None:
    """A plugin's ``validate_customer`` (a rule of `kehu check`) that wrote a ledger line through
    the store before answering: every `kehu check`, and every `kehu sync`, which checks, added a
    line to the customer's records, and `customer set` two more. Hooks that answer a question
    (validation rules, values, tier names, lists of rules or columns) write nothing: such a write
    is refused, named as the plugin's failure, and nothing is written."""

    class Writing:
        @hookimpl
        def validate_customer(self, store: Any, customer: Any) -> list[str]:
            store.append_ledger(customer.id, "audit", {"date": "2026-11-01", "delta": 1, "reason": "checked"})
            return []

        @hookimpl
        def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
            store.update_customer(customer.id, {"notes": "seen"})
            return {"seen": True}

    store = make_store(tmp_path / "store", plugins={"writing": Writing()})
    cid = add_customer(store, name="赵敏")
    folder = store.customer_dir(cid)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    for argv in (["check"], ["customer", "set", cid, "level=金卡"], ["customer", "show", cid], ["check"]):
        result = run_kehu(store, *argv)
        assert "Traceback" not in result.err
        assert "plugin 'writing' wrote to the store in" in result.err + result.out, (argv, result.err)
    assert not (folder / "audit.ledger.yaml").exists()
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert set(after) == set(before)
    assert b"seen" not in after["customer.yaml"] and "金卡" in after["customer.yaml"].decode()
