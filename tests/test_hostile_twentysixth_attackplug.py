"""The twenty-sixth round's attackplug findings (issue 16): plugins that change the store they are
given, and git merges and imports that make one customer twice. Each test failed before its fix."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from kehu_core.hookspecs import hookimpl
from kehu_core.testing import make_store, run_kehu

from .conftest import kehu
from .test_team_merge import ok, two_clones


class Moving:
    """A plugin that changes the store it is given: its day, its folder, one of its methods."""

    def __init__(self, elsewhere: Path) -> None:
        self.elsewhere = elsewhere

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        store.today = dt.date(2099, 1, 1)
        store.root = self.elsewhere
        store.customer_dir = lambda cid: self.elsewhere / cid  # a method of the store, shadowed

    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> list[str]:
        store.today_fixed = False
        store.config = None
        return []

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        store.customer_dir = lambda cid: self.elsewhere  # a method of the store, shadowed
        return {}


def test_a_plugin_changing_the_store_it_is_given_changes_nothing_after_its_hook(tmp_path: Path) -> None:
    """A hook given the store (every hook is) that sets ``store.today``, ``store.root``,
    ``store.config`` or one of its methods: the next row of an import, the next hook (the tiers
    of the built-in plugin) and the rest of the command worked at 2099 or in the other folder,
    `kehu import` failing with "is outside the store" and nothing imported. What a plugin's code
    sets on the store is put back when it returns, as its working folder and environment are."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    store = make_store(tmp_path / "store", plugins={"moving": Moving(elsewhere)})
    sheet = tmp_path / "s.csv"
    sheet.write_text("name,phone,product,amount,date\n甲,13800138001,龙井,100,2026-11-01\n"
                     "乙,13800138002,龙井,50,2026-11-02\n丙,13800138003,龙井,70,2026-11-03\n", encoding="utf-8")
    result = run_kehu(store, "import", str(sheet))
    assert result.code == 0, result.err
    listed = run_kehu(store, "customer", "list", "--json")
    assert listed.code == 0, listed.err
    assert "failed" not in result.err + listed.err  # its hooks raise nothing
    assert sorted(c["name"] for c in json.loads(listed.out)) == ["丙", "乙", "甲"]
    tiers = sorted(store.root.glob("customers/*/*/tiers.ledger.yaml"))
    assert len(tiers) == 3 and all("date: 2026-11-20" in t.read_text(encoding="utf-8") for t in tiers), tiers
    assert not any(elsewhere.iterdir())
    assert store.today == dt.date(2026, 11, 20) and store.root == tmp_path / "store"
    checked = run_kehu(store, "check")
    assert checked.code == 0, checked.out + checked.err


def test_customers_made_from_one_sheet_row_in_two_clones_are_named_by_the_sync(tmp_path: Path) -> None:
    """Two reps import the shop's sheet each in their clone before syncing: every customer of it
    is there twice. The sync named those of a phone or an email ("likely one customer"); a row of
    a name and a sale (no phone: a walk-in's) was named by nothing, `check` ok, `duplicates` none,
    its sale counted twice. The sync now names each such pair with its row, once, and says to
    merge them, and `kehu duplicates` lists them; merged as it says, the sale is kept once."""
    a, b = two_clones(tmp_path)
    sheet = tmp_path / "s.csv"
    sheet.write_text("name,phone,product,amount,date\n赵敏,,龙井,100,2026-11-01\n"
                     "张三,13800138001,红茶,20,2026-11-02\n", encoding="utf-8")
    for clone in (a, b):
        ok("--today", "2026-11-20", "import", str(sheet), store=clone)
    ok("sync", store=a)
    synced = kehu("sync", store=b)
    assert synced.code == 0, synced.err
    listed = json.loads(ok("customer", "list", "--json", store=b))
    zhao = sorted(c["id"] for c in listed if c["name"] == "赵敏")
    zhang = sorted(c["id"] for c in listed if c["name"] == "张三")
    assert len(zhao) == 2 and len(zhang) == 2
    said = [line for line in synced.err.splitlines() if "赵敏" in line]
    assert len(said) == 1 and all(cid in said[0] for cid in zhao) and "s.csv:2" in said[0], synced.err
    assert "customer merge" in said[0]
    assert sum("张三" in line for line in synced.err.splitlines()) == 1, synced.err  # named once, by its phone
    groups = json.loads(ok("duplicates", "--json", store=b))  # and listed where the sync says, later too
    assert {tuple(g["customers"]) for g in groups} == {tuple(zhao), tuple(zhang)}, groups
    assert any("s.csv:2" in r for g in groups for r in g["reasons"]), groups
    ok("--today", "2026-11-20", "customer", "merge", zhao[0], zhao[1], store=b)
    shown = json.loads(ok("--today", "2026-11-20", "customer", "show", zhao[0], "--json", store=b))
    assert [p["amount"] for p in shown["purchases"]] == ["100.00"], shown["purchases"]


STREAMS_MODULE = '''
import io
import sys

from kehu_core.hookspecs import hookimpl


@hookimpl
def interaction_saved(store, customer, interaction):
    sys.stderr = io.StringIO()  # to keep an SDK's chatter quiet, for the process
    sys.stdin = io.StringIO()
    sys.setrecursionlimit(80)
'''


def test_a_plugin_replacing_stderr_or_the_recursion_limit_leaves_kehus_own_alone(tmp_path: Path) -> None:
    """An installed plugin's ``interaction_saved`` that sets ``sys.stderr`` (an SDK quieting
    itself), ``sys.stdin`` or ``sys.setrecursionlimit`` for the process: `kehu import` of a sheet
    whose second row is wrong said "2 rows read, 1 failed", exit 1, and never which row nor why
    (its message went into the plugin's stream). Each is put back when the plugin's code returns,
    as its working folder and environment are: the row is named."""
    import os
    import subprocess
    import sys

    from .pluginutil import installed_plugin

    site = installed_plugin(tmp_path / "site", "streams_kehu", "streams", STREAMS_MODULE)
    store = make_store(tmp_path / "store")
    sheet = tmp_path / "s.csv"
    sheet.write_text("name,phone,product,amount,date\n甲,13800138001,龙井,100,2026-11-01\n"
                     "乙,13800138002,龙井,-50,2026-11-02\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path]),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store.root), "--today", "2026-11-20",
                             "import", str(sheet)], capture_output=True, text=True, env=env)
    assert result.returncode == 1, result
    assert "s.csv:3" in result.stderr and "amount" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


class Unregistering:
    """A plugin that unregisters the others through the store's plugin host."""

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        for name in ("points", "tiering"):
            plugin = store.plugins.pm.get_plugin(name)
            if plugin is not None:
                store.plugins.pm.unregister(plugin)
        store.plugins.pm.set_blocked("reminders")


def test_a_plugin_unregistering_the_others_leaves_them_for_the_rest_of_the_command(tmp_path: Path) -> None:
    """A hook that unregistered (or blocked) the other plugins through ``store.plugins``: an
    import's later rows had no points and no tier, `check` ok. The plugins registered are put
    back when its code returns, as the store it was given is."""
    store = make_store(tmp_path / "store", plugins={"unregistering": Unregistering()})
    sheet = tmp_path / "s.csv"
    sheet.write_text("name,phone,product,amount,date\n甲,13800138001,龙井,100,2026-11-01\n"
                     "乙,13800138002,龙井,50,2026-11-02\n丙,13800138003,龙井,70,2026-11-03\n", encoding="utf-8")
    result = run_kehu(store, "import", str(sheet))
    assert result.code == 0, result.err
    assert len(list(store.root.glob("customers/*/*/points.ledger.yaml"))) == 3
    assert len(list(store.root.glob("customers/*/*/tiers.ledger.yaml"))) == 3
