"""The twenty-seventh round's plugstate findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kehu_core.hookspecs import hookimpl
from kehu_core.testing import make_store, run_kehu

THREE_SALES = ("name,phone,product,amount,date\n甲,13800138001,龙井,100,2026-11-01\n"
               "乙,13800138002,龙井,50,2026-11-02\n丙,13800138003,龙井,70,2026-11-03\n")


def _sheet(tmp_path: Path) -> Path:
    sheet = tmp_path / "s.csv"
    sheet.write_text(THREE_SALES, encoding="utf-8")
    return sheet


class ClosingTheIndex:
    """A plugin that closes the store's index it can reach through the store it is given (a
    helper of its own tidying up "its" connection)."""

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        store.index.close()

    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> list[str]:
        store.index.db.close()
        return []


def test_a_plugin_closing_the_stores_index_is_named_and_the_command_goes_on(tmp_path: Path) -> None:
    """A hook calling ``store.index.close()``: every later hook (the built-in tiers') failed on
    the closed database, then `kehu import` ended in "internal error: ProgrammingError: Cannot
    operate on a closed database", and `kehu check`, whose rules are asked as it reads the
    customers from the index, likewise. The index is kept open, the plugin's hook named as
    failed for what it did, and the command goes on."""
    store = make_store(tmp_path / "store", plugins={"closing": ClosingTheIndex()})
    result = run_kehu(store, "import", str(_sheet(tmp_path)))
    assert result.code == 0, result.err
    assert "internal error" not in result.err
    assert "plugin 'closing' failed" in result.err and "closed the store's index" in result.err, result.err
    assert "plugin 'tiering'" not in result.err
    assert len(list(store.root.glob("customers/*/*/tiers.ledger.yaml"))) == 3
    listed = run_kehu(store, "customer", "list", "--json")
    assert listed.code == 0 and len(json.loads(listed.out)) == 3, listed.err
    checked = run_kehu(store, "check")
    assert checked.code == 1, checked.out + checked.err  # its rule failed: said as check says a rule's failure
    assert "internal error" not in checked.err and "closed the store's index" in checked.out + checked.err
    assert "3 customers load fine" in checked.out + checked.err, checked.out + checked.err


class PointsPromotion:
    """A plugin running a promotion by changing the points plugin's settings in place, as they
    are handed to it (the object itself, not a copy), in one of two ways."""

    def __init__(self, how: str) -> None:
        self.how = how

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        if self.how == "plugin_settings":
            from kehu_plugins.points.book import PointsSettings

            from kehu_core.plugins import plugin_settings

            plugin_settings(store, "points", PointsSettings).per_amount = Decimal(100)
        else:
            store.config.plugins.model_extra.setdefault("points", {})["per_amount"] = 100


@pytest.mark.parametrize("how", ["plugin_settings", "config"])
def test_a_plugin_changing_the_settings_in_place_changes_them_for_no_one(tmp_path: Path, how: str) -> None:
    """A hook changing a value inside the settings it can reach (a plugin's settings, which
    ``plugin_settings`` hands to every plugin asking, or ``store.config``'s): each later sale of
    the import earned a hundred times its points (10 000 for ¥100), exit 0, `check` ok —
    ``Store.as_given`` puts back a replaced ``store.config``, not a change made inside it. The
    settings are read-only: the change is refused, the plugin named, every sale earns as
    kehu.yaml says."""
    store = make_store(tmp_path / "store", plugins={"promotion": PointsPromotion(how)})
    result = run_kehu(store, "import", str(_sheet(tmp_path)))
    assert result.code == 0, result.err
    assert "plugin 'promotion' failed in interaction_saved" in result.err and "read-only" in result.err, result.err
    deltas = sorted(int(line.split("delta: ")[1].split(",")[0])
                    for ledger in store.root.glob("customers/*/*/points.ledger.yaml")
                    for line in ledger.read_text(encoding="utf-8").splitlines() if "delta: " in line)
    assert deltas == [50, 70, 100], deltas
    checked = run_kehu(store, "check")
    assert checked.code == 0, checked.out + checked.err


class NotingEachInteraction:
    """A plugin recording a note of its own for each interaction saved (a "thank-you sent" log
    that does not look at the kind), at most ``most`` times in all (the test's own bound: the
    loop it found had none)."""

    def __init__(self, label: str, most: int = 40) -> None:
        self.label, self.left = label, most

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        if self.left > 0:
            self.left -= 1
            store.add_interaction(customer.id, {"kind": "note", "date": "2026-11-20",
                                                "text": f"{self.label}: {interaction.kind} {interaction.id}"})


def _notes(store: Any, label: str) -> int:
    return sum(f"text: '{label}:" in p.read_text(encoding="utf-8") or f"text: {label}:" in p.read_text(encoding="utf-8")
               for p in store.root.glob("customers/*/*/interactions/*.yaml"))


def test_a_plugin_saving_an_interaction_in_interaction_saved_is_not_told_of_it_in_an_import(tmp_path: Path) -> None:
    """A plugin whose ``interaction_saved`` saves an interaction (a note) through the store: in
    `kehu purchase add` it is not told of its own note (its hook is not asked again while it
    runs), but an import tells the plugins of what was saved once all is written, in rounds,
    and told it of its note, which it noted, and so on without end (the test's plugin stops at
    40 notes). In an import, as outside one, a plugin is not told of what it saved while told
    (nor of what others saved while told of it): one note a sale; two such plugins, four."""
    store = make_store(tmp_path / "store", plugins={"noting": NotingEachInteraction("甲方")})
    result = run_kehu(store, "import", str(_sheet(tmp_path)))
    assert result.code == 0, result.err
    assert _notes(store, "甲方") == 3
    two = make_store(tmp_path / "two", plugins={"a": NotingEachInteraction("甲方"), "b": NotingEachInteraction("乙方")})
    sheet = tmp_path / "one.csv"
    sheet.write_text("name,phone,product,amount,date\n甲,13800138001,龙井,100,2026-11-01\n", encoding="utf-8")
    result = run_kehu(two, "import", str(sheet))
    assert result.code == 0, result.err
    assert (_notes(two, "甲方"), _notes(two, "乙方")) == (2, 2)


class WritingTheIndex:
    """A plugin writing into kehu's index itself through the connection it can reach: clearing
    rows it takes for stale, or keeping a table of its own there."""

    def __init__(self, sql: str) -> None:
        self.sql = sql

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        store.index.db.execute(self.sql)


@pytest.mark.parametrize("sql", ["DELETE FROM customers", "CREATE TABLE IF NOT EXISTS mine(x)"])
def test_a_plugin_writing_kehus_index_itself_is_refused(tmp_path: Path, sql: str) -> None:
    """A hook running its own SQL on ``store.index.db``: `DELETE FROM customers` left the index
    without the imported customers for good — `customer list` said "0 customers" and `kehu
    check` "ok: 0 customers" in every later command, the profiles on disk — exit 0, not a word.
    kehu's index is written by kehu alone: the plugin's statement is refused, its hook named."""
    store = make_store(tmp_path / "store", plugins={"writing": WritingTheIndex(sql)})
    result = run_kehu(store, "import", str(_sheet(tmp_path)))
    assert result.code == 0, result.err
    assert "plugin 'writing' failed in interaction_saved" in result.err, result.err
    listed = run_kehu(store, "customer", "list", "--json")
    assert listed.code == 0 and len(json.loads(listed.out)) == 3, listed.out + listed.err
    checked = run_kehu(store, "check")
    assert checked.code == 0 and "ok: 3 customers" in checked.out + checked.err, checked.out + checked.err


QUIETING_MODULE = '''
import logging
import logging.config

from kehu_core.hookspecs import hookimpl


@hookimpl
def validate_customer(store, customer):
    {quieting}  # an SDK quieting the process's logging as it starts
    return []


@hookimpl
def interaction_saved(store, customer, interaction):
    raise RuntimeError("the shop's gateway is down")
'''


@pytest.mark.parametrize("quieting", ["logging.disable(logging.CRITICAL)", 'logging.config.dictConfig({"version": 1})',
                                      "logging.getLogger().setLevel(logging.ERROR)"])
def test_a_plugin_quieting_the_processs_logging_leaves_kehus_reports_of_failures(tmp_path: Path,
                                                                                  quieting: str) -> None:
    """An installed plugin whose code quiets logging for the whole process, as an SDK does as it
    starts (``logging.disable``, ``logging.config.dictConfig``, which disables every logger it
    does not name, the root logger's level): kehu says a plugin's failure through its logger,
    and every failure after it went unsaid — `kehu import` exit 0, not a word of the sales whose
    plugin failed. The logging kehu set up is put back when the plugin's code returns."""
    import os
    import subprocess
    import sys

    from .pluginutil import installed_plugin

    site = installed_plugin(tmp_path / "site", "quieting_kehu", "quieting",
                            QUIETING_MODULE.replace("{quieting}", quieting))
    store = make_store(tmp_path / "store")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path]),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store.root), "--today", "2026-11-20",
                             "import", str(_sheet(tmp_path))], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result
    assert "plugin 'quieting' failed in interaction_saved" in result.stderr, result.stderr
    assert "gateway is down" in result.stderr and "Traceback" not in result.stderr



class ReusingImporter:
    """A plugin's importer that reads a file of its own format row by row into one buffer (the
    contact's ``fields`` dict and ``purchases`` list, or the contact itself) filled anew for each
    row, as a streaming parser does."""

    name = "shopfmt"

    def __init__(self, how: str) -> None:
        self.how = how

    def detect(self, path: Path, head: bytes) -> bool:
        return path.suffix == ".shop"

    def read(self, path: Path, store: Any) -> Any:
        from kehu_core.plugins.api import ImportedContact

        fields: dict[str, Any] = {}
        purchases: list[dict[str, Any]] = []
        contact = ImportedContact(source="", fields=fields, purchases=purchases)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            name, phone, amount = line.split(",")
            fields.clear()
            fields.update(name=name, phones=[phone])
            purchases.clear()
            purchases.append({"date": "2026-11-01", "amount": amount, "items": [{"name": "龙井"}]})
            if self.how == "buffers":
                yield ImportedContact(source=f"{path}:{number}", fields=fields, purchases=purchases)
            else:
                contact.source = f"{path}:{number}"
                yield contact

    @hookimpl
    def importers(self) -> list[Any]:
        return [self]


@pytest.mark.parametrize("how", ["buffers", "contact"])
def test_an_importer_reusing_its_buffers_for_each_row_imports_every_row(tmp_path: Path, how: str) -> None:
    """A plugin's importer filling one dict (or one contact) anew for each row it reads: kehu
    held what it was given, not a copy, and every row became the last — one customer 丙 with
    three sales of ¥70, "3 rows read, 0 failed", exit 0, 甲 and 乙 lost. Each contact is kehu's
    own copy as it is given."""
    importer = ReusingImporter(how)
    store = make_store(tmp_path / "store", plugins={"shopfmt": importer})
    shop = tmp_path / "day.shop"
    shop.write_text("甲,13800138001,100\n乙,13800138002,50\n丙,13800138003,70\n", encoding="utf-8")
    result = run_kehu(store, "import", str(shop))
    assert result.code == 0, result.err
    listed = run_kehu(store, "customer", "list", "--json")
    assert sorted(c["name"] for c in json.loads(listed.out)) == ["丙", "乙", "甲"], listed.out
    amounts = sorted(p.read_text(encoding="utf-8").split("amount: ")[1].split("\n")[0]
                     for p in store.root.glob("customers/*/*/interactions/*.yaml"))
    assert amounts == ["100.00", "50.00", "70.00"], amounts


class ReusingRule:
    """A plugin's reminder rule that yields one Reminder object of its own, set anew for each
    customer it is asked of (an object it reuses)."""

    name = "call"

    def __init__(self) -> None:
        self.one: Any = None

    def due(self, store: Any, customer: Any, history: Any, start: Any, end: Any) -> Any:
        from kehu_core.models.plugin_data import Reminder

        if self.one is None:
            self.one = Reminder(customer_id=customer.id, customer_name=customer.name, due=start, rule="call",
                                title="x", key="call:x:y")
        self.one.customer_id, self.one.customer_name, self.one.due = customer.id, customer.name, start
        self.one.title, self.one.key = f"给{customer.name}打电话", f"call:{customer.id}:{start}"
        yield self.one

    @hookimpl
    def reminder_rules(self, store: Any) -> list[Any]:
        return [self]


def test_a_reminder_rule_reusing_one_reminder_gives_each_customer_theirs(tmp_path: Path) -> None:
    """A plugin's rule yielding one Reminder object again for each customer, changed: kehu kept
    what it was given, and every customer's reminder became the last one's — `kehu reminders`
    listed "给丙打电话" three times, 甲's and 乙's calls lost, exit 0. Each reminder of a third
    party's rule is kehu's own copy as it comes."""
    store = make_store(tmp_path / "store", plugins={"calling": ReusingRule()})
    sheet = tmp_path / "s.csv"
    sheet.write_text("name,phone\n甲,13800138001\n乙,13800138002\n丙,13800138003\n", encoding="utf-8")
    assert run_kehu(store, "import", str(sheet)).code == 0
    listed = run_kehu(store, "reminders", "--json")
    assert listed.code == 0, listed.err
    titles = sorted(r["title"] for r in json.loads(listed.out) if r["rule"] == "call")
    assert titles == ["给丙打电话", "给乙打电话", "给甲打电话"], titles


ASYNC_MODULE = '''
from kehu_core.hookspecs import hookimpl


@hookimpl
async def interaction_saved(store, customer, interaction):  # its SDK is async: so is its hook
    store.append_ledger(customer.id, "thanks", {"date": "2026-11-20", "note": "sent"})


@hookimpl
async def customer_values(store, customer):
    return {"wechat_name": "x"}
'''


def test_an_async_hook_is_named_as_never_run(tmp_path: Path) -> None:
    """An installed plugin whose hooks are ``async def`` (its SDK is): kehu calls hooks and never
    awaits them, so none of their code ran. `kehu import` took ``interaction_saved``'s coroutine
    as a hook that returned — its ledger line never written, exit 0 — with only Python's
    "RuntimeWarning: coroutine 'interaction_saved' was never awaited" naming kehu's own
    guards.py. Such a hook is the plugin's wrong result, said as what it is."""
    import os
    import subprocess
    import sys

    from .pluginutil import installed_plugin

    site = installed_plugin(tmp_path / "site", "async_kehu", "asyncplug", ASYNC_MODULE)
    store = make_store(tmp_path / "store")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path]),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for args in (["import", str(_sheet(tmp_path))], ["customer", "list", "--json"]):
        result = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store.root), "--today",
                                 "2026-11-20", *args], capture_output=True, text=True, env=env)
        assert result.returncode == 0, result
        hook = "interaction_saved" if args[0] == "import" else "customer_values"
        assert f"plugin 'asyncplug' failed in {hook}" in result.stderr and "async def" in result.stderr, result.stderr
        assert "RuntimeWarning" not in result.stderr and "guards.py" not in result.stderr, result.stderr


ALARM_MODULE = '''
import signal

from kehu_core.hookspecs import hookimpl

_armed = []


class SdkTimeout(Exception):
    pass


def _no_answer(signum, frame):
    raise SdkTimeout("the SMS gateway did not answer in time")


@hookimpl
def interaction_saved(store, customer, interaction):
    if not _armed:  # its own timeout for a call to its gateway, never cancelled
        _armed.append(True)
        {handler}
        signal.setitimer(signal.ITIMER_REAL, 0.05)
'''


@pytest.mark.parametrize("handler", ["signal.signal(signal.SIGALRM, _no_answer)", "pass"])
def test_a_plugins_timer_left_running_never_goes_off_in_kehus_code(tmp_path: Path, handler: str) -> None:
    """An installed plugin timing out a call of its own with SIGALRM (``signal.signal`` and
    ``setitimer``, as ``signal.alarm`` does) and not cancelling it: the timer went off after its
    hook returned, in kehu's code — `kehu import` of 400 sales ended in "internal error:
    SdkTimeout" (or the built-in points plugin was said to have failed with it), or, with
    Python's handler, the process was killed ("Alarm clock", exit 142, not a word). The timer
    and its handler are put back when the plugin's code returns."""
    import os
    import subprocess
    import sys

    from .pluginutil import installed_plugin

    site = installed_plugin(tmp_path / "site", "alarm_kehu", "alarm", ALARM_MODULE.replace("{handler}", handler))
    store = make_store(tmp_path / "store")
    sheet = tmp_path / "many.csv"
    sheet.write_text("name,phone,product,amount,date\n" + "".join(
        f"客{i},138{i:08d},龙井,{i % 90 + 10},2026-11-01\n" for i in range(400)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path]),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store.root), "--today", "2026-11-20",
                             "import", str(sheet)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result
    assert "400 created" in result.stdout and "internal error" not in result.stderr, result
    assert "gateway" not in result.stderr, result.stderr  # (nor said as another plugin's failure: points')
