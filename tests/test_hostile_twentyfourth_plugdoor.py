"""The twenty-fourth round's plugin and door findings (issue 16, kinds 9 and 3, helper
plugdoor): each test failed before its fix."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import AfterValidator

from kehu_core import hookimpl
from kehu_core.testing import add_customer, make_store, reopen, run_kehu

from .conftest import kehu
from .pluginutil import installed_plugin


def _command_plugin(command: str, says: str) -> str:
    return (
        "import click\nfrom kehu_core import hookimpl\n\n"
        "@hookimpl\ndef register_commands(cli):\n"
        f"    @cli.command({command!r})\n"
        "    @click.argument('rest', nargs=-1)\n"
        "    def mine(rest):\n"
        f"        click.echo({says!r})\n")


def _kehu_with(sites: list[Path], tmp_path: Path, store: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([*map(str, sites), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), *argv],
                          capture_output=True, text=True, env=env)


def test_a_third_partys_command_named_as_a_built_in_plugins_is_used_whatever_its_name(
        tmp_path: Path, store_path: Path) -> None:
    """A third party's `points` command (a shop's own points tool) beside the built-in points
    plugin's: which ran depended on the third party's entry-point name sorting before or after
    `points` (`aaa` was dropped without a word, `zzz` replaced kehu's). A command's name is
    one plugin's, as a sender's channel is: a third party's replaces a built-in plugin's."""
    for entry in ("aaa", "zzz"):
        site = installed_plugin(tmp_path / entry, f"{entry}_kehu", entry, _command_plugin("points", f"{entry} points"))
        ran = _kehu_with([site], tmp_path, store_path, "points")
        assert ran.returncode == 0 and ran.stdout == f"{entry} points\n", (entry, ran.stdout, ran.stderr)


def test_two_third_parties_giving_one_command_name_are_each_named_and_neither_is_used(
        tmp_path: Path, store_path: Path) -> None:
    """Two installed plugins each adding `kehu hello` (a plugin and its fork): the one whose
    name sorted last ran, the other was never heard of. Now neither runs, each is named."""
    sites = [installed_plugin(tmp_path / name, f"{name}_kehu", name, _command_plugin("hello", f"{name} says hello"))
             for name in ("old", "new")]
    ran = _kehu_with(sites, tmp_path, store_path, "hello")
    assert ran.returncode == 2 and "hello" not in ran.stdout, (ran.stdout, ran.stderr)
    for name in ("old", "new"):
        assert f"plugin '{name}' failed in register_commands" in ran.stderr, ran.stderr
    assert "gives command 'hello', as 'new', 'old' do" in ran.stderr, ran.stderr


def test_a_third_partys_command_named_as_one_of_kehus_own_is_named(tmp_path: Path, store_path: Path) -> None:
    """A plugin adding a command `check` (its own checks) was never run, and nothing said so:
    `kehu check` is kehu's. Its author is told, where the plugins' commands are listed."""
    site = installed_plugin(tmp_path / "site", "mycheck_kehu", "mycheck", _command_plugin("check", "all fine"))
    helped = _kehu_with([site], tmp_path, store_path, "--help")
    assert helped.returncode == 0, helped.stderr
    said = "plugin 'mycheck' failed in register_commands: wrong result: gives command 'check', one of kehu's own"
    assert said in helped.stderr, helped.stderr
    checked = _kehu_with([site], tmp_path, store_path, "check")
    assert checked.returncode == 0 and "all fine" not in checked.stdout
    assert kehu("check", store=store_path).code == 0


FIELD_PLUGIN = """from kehu_core import hookimpl

@hookimpl
def customer_fields():
    return {%r: (str | None, None)}
"""


def test_a_plugin_field_named_as_a_member_of_the_customer_model_is_named_not_warned(
        tmp_path: Path, store_path: Path) -> None:
    """A plugin declaring a customer field `copy` (`json`, `validate`, `schema`: pydantic's own
    methods), `sealed` (kehu's encrypted values of a profile) or `model_validate_x`: every
    command printed pydantic's warnings, ".../pydantic/main.py:1937: UserWarning: Field name
    "copy" in "StoreCustomer" shadows an attribute in parent "Customer"", naming no plugin,
    and `kehu check` said ok. Such a name is the plugin's wrong result, named, its fields left
    out, as a field named as kehu's own (`id`) is."""
    assert kehu("customer", "add", "--name", "赵敏", store=store_path).code == 0
    for field in ("copy", "sealed", "model_validate_x"):
        site = installed_plugin(tmp_path / field, f"f{field}_kehu", f"f{field}", FIELD_PLUGIN % field)
        listed = _kehu_with([site], tmp_path, store_path, "customer", "list")
        assert listed.returncode == 0 and "Warning" not in listed.stderr, (field, listed.stderr)
        checked = _kehu_with([site], tmp_path, store_path, "check")
        assert "Warning" not in checked.stderr, (field, checked.stderr)
        assert checked.returncode == 1, (field, checked.stdout)  # a problem of the store's
        assert f"plugin 'f{field}' failed in customer_fields" in checked.stdout, (field, checked.stdout)


class Rounding:
    """A plugin that works out its own figure with Decimal's context set to its liking (three
    digits, rounded down; or an exponent of at most 3), as a plugin author does once and
    forgets: in a hook, not in a ``localcontext`` of its own."""

    def __init__(self, how: str) -> None:
        self.how = how

    def _own_figure(self) -> None:
        context = decimal.getcontext()
        if self.how == "precision":
            context.prec, context.rounding = 3, decimal.ROUND_DOWN
        else:  # its figures all below 10 000: a larger one is an overflow
            context.Emax = 3

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        self._own_figure()

    @hookimpl
    def customer_fields(self) -> dict[str, Any]:
        def read(value: Any) -> Any:  # its field's type, read on every profile
            self._own_figure()
            return value
        return {"shoe_size": (Annotated[int | None, AfterValidator(read)], None)}

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        self._own_figure()
        return {"own": 1}


@pytest.mark.parametrize("how", ["precision", "exponent"])
def test_a_plugin_setting_decimals_context_leaves_kehus_money_alone(tmp_path: Path, how: str) -> None:
    """A plugin's hook setting Decimal's context (`getcontext().prec = 3`, rounding down, or
    traps on inexact results): the points plugin, asked after it, gave a sale of ¥12 345.67
    12 300 points, written to the ledger; the tiering plugin failed, and `customer show`,
    `customer list`, `report revenue`, `check` ended in "internal error: InvalidOperation" for
    the rest of the process (the TUI's, `kehu serve`'s); a context whose `Emax` is 3 (its own
    figures all below 10 000) made every sum of ¥10 000 or more an overflow. What a plugin's code sets of the
    process is taken back after it, Decimal's context as the working folder is; so is what its
    field's type sets as a profile is read."""
    with decimal.localcontext():  # this test's process keeps its own, whatever the code under test does
        store = make_store(tmp_path / "store", today=dt.date(2026, 11, 20), plugins={"rounding": Rounding(how)})
        cid = add_customer(store, name="赵敏", shoe_size=38)
        bought = run_kehu(store, "purchase", "add", cid, "--amount", "12345.67", "--date", "2026-11-01")
        assert bought.code == 0 and "failed" not in bought.err, bought.err
        assert [e["delta"] for e in reopen(store).ledger(cid, "points")] == [12345]
        for argv in (["customer", "show", cid], ["customer", "list", "--json"], ["report", "revenue"],
                     ["purchase", "add", cid, "--item", "茶", "--qty", "3", "--price", "33.33", "--date", "2026-11-02"],
                     ["check"]):
            ran = run_kehu(store, *argv)
            assert ran.code == 0 and "failed" not in ran.err, (argv, ran.err)
        assert sum(e["delta"] for e in reopen(store).ledger(cid, "points")) == 12345 + 99


class Valued:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        return self.values


@pytest.mark.parametrize("values", [{"serial": 10 ** 5000}, {"serial": -(10 ** 19)}],
                         ids=["5000 digits", "19 digits"])
def test_a_plugins_whole_number_of_more_digits_than_a_record_holds_is_its_wrong_result(
        tmp_path: Path, values: dict[str, Any]) -> None:
    """A plugin's `customer_values` giving a whole number of 5 000 digits (a serial it
    computed): `customer show`, its `--json`, `customer list --json` and `--sort` each ended in
    "internal error: ValueError: Exceeds the limit (4300 digits) for integer string conversion".
    A value is held to a record's rule (at most 18 digits, what the index and JSON readers keep
    exactly): a number of more is the plugin's wrong result, named, its values left out."""
    store = make_store(tmp_path / "store", today=dt.date(2026, 11, 20), plugins={"serials": Valued(values)})
    cid = add_customer(store, name="赵敏")
    for argv in (["customer", "show", cid], ["customer", "show", cid, "--json"], ["customer", "list", "--json"],
                 ["customer", "list", "--sort", "serial"]):
        ran = run_kehu(store, *argv)
        assert ran.code == 0, (argv, ran.err)
        assert "plugin 'serials' failed in customer_values" in ran.err and "18 digits" in ran.err, (argv, ran.err)
        assert "serial" not in ran.out, (argv, ran.out)


@pytest.mark.parametrize("key", ["", "   "])
def test_a_plugins_value_named_by_nothing_that_shows_is_its_wrong_result(tmp_path: Path, key: str) -> None:
    """A plugin's `customer_values` naming a value `""` or spaces: `customer show` printed a
    line with no label, `list --json` a key `""`, where a profile's own field so named is
    refused by every door ("a field's name that shows nothing"). The same rule for a value's
    name: the plugin's wrong result, named."""
    store = make_store(tmp_path / "store", today=dt.date(2026, 11, 20), plugins={"blank": Valued({key: "secret"})})
    cid = add_customer(store, name="赵敏")
    for argv in (["customer", "show", cid], ["customer", "list", "--json"]):
        ran = run_kehu(store, *argv)
        assert ran.code == 0 and "plugin 'blank' failed in customer_values" in ran.err, (argv, ran.err)
        assert "secret" not in ran.out, (argv, ran.out)


class Saying:
    """A plugin's rules giving ``messages`` for a customer with a nickname and ``pairs`` for
    any ledger with entries."""

    def __init__(self, messages: list[str], pairs: list[tuple[int, str]]) -> None:
        self.messages, self.pairs = messages, pairs

    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> list[str]:
        return self.messages if customer.nickname else []

    @hookimpl
    def validate_ledger(self, store: Any, customer_id: str, ledger: str, entries: list[Any]) -> Any:
        return self.pairs if entries and ledger == "points" else []


@pytest.mark.parametrize("message", ["", "   ", "nickname: "])
def test_a_rules_message_that_says_nothing_is_its_wrong_result(tmp_path: Path, message: str) -> None:
    """A plugin's `validate_customer` giving `""`, spaces or a field and nothing
    (`"nickname: "`): `customer set ID nickname=敏` was refused, exit 1, with
    "customer.yaml:1:  (plugin x)" (no reason at all), and `kehu check` failed the store for it.
    A message says something, or it is the plugin's wrong result, named; the write goes on."""
    store = make_store(tmp_path / "store", today=dt.date(2026, 11, 20), plugins={"mute": Saying([message], [])})
    cid = add_customer(store, name="赵敏")
    changed = run_kehu(store, "customer", "set", cid, "nickname=敏")
    assert changed.code == 0, changed.err
    assert "plugin 'mute' failed in validate_customer" in changed.err, changed.err
    assert reopen(store).get(cid).nickname == "敏"


def test_a_ledger_rule_giving_thousands_of_messages_for_one_entry_is_its_wrong_result(tmp_path: Path) -> None:
    """A plugin's `validate_ledger` giving a message per note it read, 5 000 for the one entry of
    a ledger: the points plugin's line for a sale was refused with 5 000 lines (a million took
    the sale 16 GB and more than five minutes). At most 100 messages an entry, as for a
    customer, counted before each is read: more is the plugin's wrong result, named; the sale's
    points are given."""
    store = make_store(tmp_path / "store", today=dt.date(2026, 11, 20),
                       plugins={"chatty": Saying([], [(0, "too many points")] * 5_000)})
    cid = add_customer(store, name="赵敏")
    bought = run_kehu(store, "purchase", "add", cid, "--amount", "100", "--date", "2026-11-01")
    assert bought.code == 0 and bought.err.count("\n") < 10, bought.err[:2000]
    assert "plugin 'chatty' failed in validate_ledger" in bought.err and "5000 messages" in bought.err
    assert [e["delta"] for e in reopen(store).ledger(cid, "points")] == [100]


@pytest.mark.parametrize(("typed", "kept"), [("２３:５９", "23:59"), (" 09:05", "09:05"), ("９:５", "09:05")])
def test_a_complaints_time_is_read_as_its_date_is(tmp_path: Path, typed: str, kept: str) -> None:
    """`kehu interaction add ID --kind complaint --date ２０２６-11-19 --time ２３:５９` (an IME
    left in full-width): the date was read as the day it names, as every date option reads one
    (`clock.typed_day`), the time refused, "'２３:５９' is not a time; expected HH:MM"; so was a
    time pasted with a space before it. A time is read by the same rule, and kept as HH:MM."""
    store = make_store(tmp_path / "store", today=dt.date(2026, 11, 20))
    cid = add_customer(store, name="赵敏")
    added = run_kehu(store, "interaction", "add", cid, "--kind", "complaint", "--text", "茶叶受潮",
                     "--date", "２０２６-11-19", "--time", typed)
    assert added.code == 0, added.err
    again = reopen(store)
    assert getattr(again.get_interaction(cid, added.out.strip()), "time", None) == kept
    written = again.interaction_file(cid, added.out.strip()).read_text(encoding="utf-8")
    assert f"time: '{kept}'" in written or f"time: {kept}" in written, written
    assert run_kehu(store, "check").code == 0


GATEWAY = """import signal
from pathlib import Path
from kehu_core import hookimpl

class Gateway:
    channel = "sms"

    def send(self, store, customer, subject, body):
        # its SDK's own handling of Ctrl-C, set as it connects, for the whole process
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with open(%r, "a", encoding="utf-8") as sent:
            sent.write(customer.id + "\\n")
        return "msg-" + customer.id

@hookimpl
def message_senders(store):
    return [Gateway()]
"""


def _as_in_a_terminal() -> None:
    """Ctrl-C as a terminal's foreground command has it: a suite started in the background by a
    shell without job control (``make test &`` in a script, as CI or a nightly job may) ignores
    SIGINT, every process it starts inherits that, and a Python started so ignores Ctrl-C for
    good, as it should: the send then went on through every message, exit 0."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT sent to a process")
def test_ctrl_c_stops_a_send_whose_gateway_plugin_ignored_it(tmp_path: Path) -> None:
    """`kehu send --channel sms` through a third party's SMS gateway whose `send` sets SIGINT
    aside for the process (an SDK's own Ctrl-C handling): Ctrl-C no longer stopped the send,
    which went on messaging every customer of the segment. What a plugin's code sets of the
    process's signal handlers (SIGINT, SIGTERM, SIGHUP) is put back after it, as the working
    folder and the environment are: Ctrl-C stops the send after the message being sent."""
    import signal
    import time

    sent = tmp_path / "sent.txt"
    site = installed_plugin(tmp_path / "site", "gateway_kehu", "gateway", GATEWAY % str(sent))
    store = make_store(tmp_path / "store", today=dt.date(2026, 11, 20),
                       customers=[{"name": f"客户{i}", "phones": [f"+861380013800{i}"]} for i in range(3)])
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    sending = subprocess.Popen(
        [sys.executable, "-m", "kehu_core", "--store", str(store.root), "--today", "2026-11-20", "send",
         "--segment", "all", "--template", "festival", "--channel", "sms", "--rate", "6"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=_as_in_a_terminal)
    try:
        deadline = time.monotonic() + 60
        while not (sent.exists() and sent.read_text(encoding="utf-8")) and time.monotonic() < deadline:
            assert sending.poll() is None, sending.communicate()
            time.sleep(0.1)
        # Ctrl-C pressed as a person presses it again when nothing happens: one that comes while
        # the gateway's own code still runs is the gateway's to ignore (its handler is in place
        # until it returns, a moment that is longer on a loaded machine); the send then waits
        # 10 s for the next message (6 a minute), and a press then must stop it before that
        # message. Under libfaketime (the suite's date check) a sleep is not cut short: it stops
        # when the wait is over, still before the next message.
        deadline = time.monotonic() + 30
        while sending.poll() is None and time.monotonic() < deadline:
            sending.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                sending.wait(timeout=0.5)  # (its few lines of output fit in the pipes meanwhile)
        out, err = sending.communicate(timeout=30)  # read once: it was joined from two reads, shown twice
    finally:
        if sending.poll() is None:
            sending.kill()
            sending.communicate()
    assert sending.returncode != 0, (out, err)
    assert len(sent.read_text(encoding="utf-8").split()) == 1, err


class BigColumn:
    @hookimpl
    def tui_columns(self, store: Any) -> list[Any]:
        from kehu_core.plugins import Column

        return [Column("Serial", lambda store, customer: 10 ** 5000, key="serial")]


@pytest.mark.asyncio
async def test_a_list_column_of_a_whole_number_of_thousands_of_digits_leaves_the_tui_running(tmp_path: Path) -> None:
    """A plugin's list column whose value is a whole number of 5 000 digits: the TUI ended
    with Textual's traceback ("WorkerFailed: ValueError: Exceeds the limit (4300 digits) for
    integer string conversion") as it drew the list. A cell's number is held to a record's rule
    (18 digits): more is the plugin's wrong result, named in a notification, the list shown."""
    from kehu_tui.app import KehuApp

    from kehu_core.testing import screen_text, wait_until

    store = make_store(tmp_path / "store", today=dt.date(2026, 11, 20), plugins={"serials": BigColumn()})
    add_customer(store, name="赵敏")
    app = KehuApp(store, today=store.today, watch_interval=0)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "plugin 'serials' failed" in screen_text(app),
                         what="a notification naming the plugin")
        assert "赵敏" in screen_text(app) and app.return_code is None


class Counted:
    name = "counted"

    def __init__(self, count: int) -> None:
        self.count = count

    def write(self, store: Any, customers: Any, out: Path) -> int:
        Path(out).write_text("serial\n", encoding="utf-8")
        return self.count


class CountedExporter:
    def __init__(self, count: int) -> None:
        self.count = count

    @hookimpl
    def exporters(self) -> list[Any]:
        return [Counted(self.count)]


@pytest.mark.parametrize("count", [10 ** 5000, -3], ids=["5000 digits", "below zero"])
def test_an_exporter_saying_it_wrote_no_count_of_rows_is_named_and_nothing_written(tmp_path: Path, count: int) -> None:
    """A plugin's exporter whose `write` answers a whole number of 5 000 digits ("internal
    error: ValueError: Exceeds the limit (4300 digits)" as `kehu export` said how many it
    wrote), or -3 ("wrote -3 rows", exit 0). A count of rows is a whole number from 0, of at
    most a record's 18 digits: else the exporter is named and the target left unwritten."""
    store = make_store(tmp_path / "store", today=dt.date(2026, 11, 20), plugins={"counter": CountedExporter(count)})
    add_customer(store, name="赵敏")
    out = tmp_path / "out.txt"
    ran = run_kehu(store, "export", "--format", "counted", out)
    assert ran.code == 1 and "the 'counted' exporter (a plugin's) gave" in ran.err, ran.err
    assert "internal error" not in ran.err and not out.exists()
