"""The twenty-first round (twentyfirstc, 2026-12-07, issue 16): sync, the TUI and plugins. Each
test failed on the code before its fix. See docs/reliability.md, "The outside attacker's
variants"."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core import reminder_engine as engine
from kehu_core.models import Customer, Reminder
from kehu_core.store import open_store

from .conftest import git, kehu
from .pluginutil import add_customer
from .test_hostile_git import team  # noqa: F401 (team: a fixture)
from .test_team_merge import remote as remote  # noqa: F401 (a fixture)


class _Today:
    """A third party's rule: one reminder on 2026-03-04 for each customer, and its own lapse."""

    name = "call-back"
    plugin = "callbacks"

    def __init__(self, lapse_days: Any) -> None:
        self.lapse_days = lapse_days

    def due(self, store: Any, customer: Customer, history: list[Any], start: dt.date,
            end: dt.date) -> Iterator[Reminder]:
        day = dt.date(2026, 3, 4)
        if start <= day <= end:
            yield Reminder(customer_id=customer.id, customer_name=customer.name, due=day,
                           rule=self.name, title="回电", key=f"call-back:{customer.id}:2026-03-04")


class _Callbacks:
    def __init__(self, lapse_days: Any) -> None:
        self.lapse_days = lapse_days

    @hookimpl
    def reminder_rules(self, store: Any) -> list[Any]:
        return [_Today(self.lapse_days)]


def test_a_plugin_rule_with_a_negative_lapse_is_its_plugins_wrong_result(store_path: Path) -> None:
    """A rule's own ``lapse_days = -3`` was taken without a word: the engine asked the rule from
    three days after the first day shown, so the rule's reminder due today was never shown, and
    nothing said why. It is now the plugin's wrong result, named; 0 (only on its day) and None
    (never lapses) keep their meaning."""
    add_customer(store_path, "赵敏")
    day = dt.date(2026, 3, 4)

    def due(lapse: Any, on: dt.date = day) -> tuple[list[str], list[str]]:
        store = open_store(store_path, extra_plugins={"callbacks": _Callbacks(lapse)})
        found = [r.rule for r in engine.due_reminders(store, on, on) if r.rule == "call-back"]
        return found, [f"{f.plugin}: {f.hook}: {f.error}" for f in store.plugins.failures]

    found, failures = due(-3)
    assert found == []
    assert any(f.startswith("callbacks: reminder rule call-back:") and "lapse_days" in f and "-3" in f
               for f in failures), failures
    for wrong in (True, "3", 2.5):
        assert any("lapse_days" in f for f in due(wrong)[1]), wrong
    assert due(0) == (["call-back"], [])  # on its day
    assert due(0, day + dt.timedelta(days=1)) == ([], [])  # and not the day after
    assert due(None, dt.date(2027, 3, 4)) == (["call-back"], [])  # never lapses
    assert due(3, day + dt.timedelta(days=3)) == (["call-back"], [])


def test_a_negative_lapse_in_kehu_yaml_names_its_line_for_any_plugins_rule(store_path: Path) -> None:
    """kehu.yaml's ``lapse_days: {RULE: -3}`` is refused at its line with its field, a rule of
    another plugin's named there too (held before this round: kept so)."""
    config = store_path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "plugins:\n", "plugins:\n  reminders:\n    lapse_days: {call-back: -3}\n", 1), encoding="utf-8")
    line = next(n for n, s in enumerate(config.read_text(encoding="utf-8").splitlines(), 1) if "call-back" in s)
    result = kehu("reminders", store=store_path)
    assert result.code == 1 and "Traceback" not in result.err
    assert f"kehu.yaml:{line}: plugins.reminders.lapse_days.call-back" in result.err


# --- the TUI: kehu.yaml changed underneath (a sync pulled a colleague's settings) -----------------


def settings_changed(root: Path, old: str, new: str) -> None:
    """kehu.yaml as `kehu sync` in another terminal leaves it: the colleague's version written."""
    config = root / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")


@contextlib.asynccontextmanager
async def her_tier_renamed(tmp_path: Path) -> AsyncIterator[tuple[Any, Any, Any]]:
    """赵敏 (a sale: the one tier, 铜牌客户) in a new store, the TUI open on it; then kehu.yaml's
    tier renamed 金牌客户, as a colleague's `kehu sync` in another terminal brings it, and the list
    showing the new name: the app, its pilot and the store."""
    from kehu_tui.app import KehuApp

    from kehu_core.testing import make_store, screen_text, wait_until

    store = make_store(tmp_path / "store", today="2026-03-10", customers=[{
        "name": "赵敏", "interactions": [{"kind": "purchase", "date": "2026-03-01", "amount": 1288}]}],
        settings={"tiering": {"pyramid": {"shares": [1.0], "names": ["铜牌客户"]}}}, disabled=["points"])
    app = KehuApp(store, watch_interval=0.1)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "铜牌客户" in screen_text(app), what="her tier")
        await pilot.pause(1.0)  # the app's first looks at the store are done
        settings_changed(store.root, "铜牌客户", "金牌客户")
        await wait_until(pilot, lambda: "金牌客户" in screen_text(app), what="the colleague's tier name", timeout=60)
        yield app, pilot, store


@pytest.mark.asyncio
async def test_the_open_tui_reads_kehu_yaml_again_when_a_sync_changes_it(tmp_path: Path) -> None:
    """A colleague renamed the tiers (kehu.yaml's ``plugins: tiering:``) and a `kehu sync` in
    another terminal pulled it: the open TUI kept its old settings for as long as it ran (no
    record had changed, so nothing was looked at again). It shows the new tier on its next look;
    a kehu.yaml that cannot be read arriving the same way is said with its line, the screen kept;
    once mended, read again."""
    from kehu_core.testing import screen_text, wait_until

    async with her_tier_renamed(tmp_path) as (app, pilot, store):
        settings_changed(store.root, "- 1.0", "- 0.5")  # a share that does not add up
        line = next(n for n, s in enumerate((store.root / "kehu.yaml").read_text(encoding="utf-8").splitlines(), 1)
                    if "pyramid" in s)
        # the watcher's next look comes after ten times its last scan's time: on a loaded machine
        # (two test runs at once) one slow scan put it past 10 s
        await wait_until(pilot, lambda: any("cannot be read" in str(n.message) for n in app._notifications),
                         what="the broken kehu.yaml said", timeout=60)
        said = "\n".join(str(n.message) for n in app._notifications)
        assert f"kehu.yaml:{line}" in said and "shares must add up to 1" in said, said
        assert app.is_running and "赵敏" in screen_text(app)
        settings_changed(store.root, "- 0.5", "- 1.0")
        settings_changed(store.root, "金牌客户", "银牌客户")
        await wait_until(pilot, lambda: "银牌客户" in screen_text(app), what="the mended kehu.yaml read", timeout=60)


# --- sync: a colleague's commit deleting customers' folders ----------------------------------------


def test_a_sync_that_brings_customers_deleted_by_hand_names_them_and_how_to_get_them_back(tmp_path: Path) -> None:
    """A colleague deleted two customers' folders by hand (a file manager, `git rm -r`) and
    pushed: the next `kehu sync` here deleted them in this clone too and said only "merged 1
    commit(s)" (the colleague's commit message said "customer removed"). kehu has no command
    that deletes a customer, so the sync now names each such customer, says that no kehu command
    did it, and gives the git command that brings them back; a customer merged into another
    (`kehu customer merge`) is not named. Brought back and synced, they are back in every clone."""
    from .test_hostile_git import first_clone, new_clone, ok, sync

    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    a = first_clone(tmp_path, bare)
    ids = {name: ok("customer", "add", "--name", name, "--phone", phone, store=a).strip()
           for name, phone in (("赵敏", "13800138001"), ("钱多多", "13800138002"), ("孙悟空", "13800138003"),
                               ("李四", "13800138004"))}
    git(a, "push", "-q", "-u", "origin", "HEAD")
    sync(a)
    b = new_clone(tmp_path, bare, "b")
    ok("customer", "merge", ids["孙悟空"], ids["李四"], store=b)  # kehu's own removal of 李四's folder
    for name in ("赵敏", "钱多多"):
        folder = next(p for p in (b / "customers").glob(f"*/{ids[name]}"))
        git(b, "rm", "-q", "-r", str(folder.relative_to(b)))
    git(b, "commit", "-q", "-m", "tidy up")
    git(b, "push", "-q")

    said = kehu("sync", store=a)
    assert said.code == 0, said.err
    told = said.out + said.err
    for name in ("赵敏", "钱多多"):
        assert name in told and ids[name] in told, told
    assert "李四" not in told, told
    assert "no kehu command" in told and "git checkout" in told, told
    command = next(line for line in told.splitlines() if "git checkout" in line)
    back = re.search(r"`(git checkout [^`]+)`", command)
    assert back is not None, command
    git(a, *back.group(1).split()[1:])
    assert kehu("sync", store=a).code == 0
    assert kehu("sync", store=b).code == 0
    listed = kehu("customer", "list", "--json", store=b)
    assert {"赵敏", "钱多多"} <= {c["name"] for c in listed.json()}
    # this clone's own hand deletion (a folder removed in a file manager), committed by the sync: said too
    import shutil

    shutil.rmtree(next(p for p in (a / "customers").glob(f"*/{ids['赵敏']}")))
    mine = kehu("sync", store=a)
    assert mine.code == 0, mine.err
    assert "this clone's commit" in mine.err and "赵敏" in mine.err and "git checkout" in mine.err, mine.err
    assert [r["name"] for r in kehu("sync", "--json", store=b).json()["removed"]] == ["赵敏"]


# --- a killed sync's git index.lock: stale or held, told without a process table -------------------


def test_a_killed_syncs_stale_index_lock_is_removed_though_another_git_runs_in_the_clone(
        team: tuple[Path, Path, str], tmp_path: Path) -> None:  # noqa: F811
    """A sync killed while git wrote the merge left git's index.lock; meanwhile a git of the
    user's runs in the clone without the lock (`git cat-file --batch` of an editor's git view, waiting). The lock was
    judged held by any git working in the clone's folder, read from /proc (where there is none,
    never removed): the clone stayed half-merged for as long as that git ran, every
    command saying "a git command is working". Now the decision is the killed sync's own git's
    (its id noted as it started: gone) and the lock's (no whole index in it), on any system:
    the clone is put back at once."""
    import subprocess

    from .test_hostile_eighteenth_eighteentha import _killed_while_checking_out

    a, b, _cid = team
    written, _unwritten = _killed_while_checking_out(a, b, tmp_path)
    reading = subprocess.Popen(["git", "cat-file", "--batch"], cwd=a, stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        checked = kehu("check", store=a)
    finally:
        reading.kill()
        reading.wait()
    assert checked.code == 0 and "clone was put back" in checked.err, checked.err
    assert not (a / written).exists(), checked.err


def test_a_lock_holding_a_whole_index_is_never_taken_from_a_waiting_git(
        team: tuple[Path, Path, str], tmp_path: Path) -> None:  # noqa: F811
    """After a killed sync's stale lock was removed by hand, the user's `git commit -a` waits on
    its editor, holding index.lock with the whole new index in it: it is left to that git (the
    put-back says what git says and waits), and the commit lands when the editor closes."""
    import subprocess

    from .test_hostile_eighteenth_eighteentha import _killed_while_checking_out

    a, b, _cid = team
    _killed_while_checking_out(a, b, tmp_path)
    lock = a / ".git" / "index.lock"
    lock.unlink()
    with (a / "kehu.yaml").open("a", encoding="utf-8") as config:  # a change of the user's to commit
        config.write("# the shop's note\n")
    editor = tmp_path / "slow-editor"
    editor.write_text("#!/bin/sh\nsleep 8\necho 'by hand' > \"$1\"\n", encoding="utf-8")
    editor.chmod(0o755)
    committing = subprocess.Popen(["git", "commit", "-q", "-a"], cwd=a, env={**os.environ, "GIT_EDITOR": str(editor)},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        if lock.exists() and lock.stat().st_size:
            break
        time.sleep(0.05)
    checked = kehu("check", store=a)
    assert lock.exists(), checked.err
    assert "could not be put back" in checked.err or "a git command is working" in checked.err, checked.err
    assert committing.wait(timeout=60) == 0, committing.stderr.read() if committing.stderr else ""
    assert "by hand" in git(a, "log", "-1", "--format=%s")


@pytest.mark.asyncio
async def test_a_sync_bringing_records_and_an_unreadable_kehu_yaml_at_once_is_said_not_a_crash(tmp_path: Path) -> None:
    """One pull brings a colleague's new customer and a kehu.yaml that cannot be read: the app
    says the kehu.yaml's problem, goes on with the settings it had, and shows the new customer
    (held when the reading again was added: the workers keep going on the records)."""
    import shutil

    from kehu_tui.app import KehuApp

    from kehu_core.testing import make_store, screen_text, wait_until

    store = make_store(tmp_path / "store", today="2026-03-10", customers=[{"name": "赵敏"}], disabled=["points"])
    app = KehuApp(store, watch_interval=0.1)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "赵敏" in screen_text(app), what="the list")
        await pilot.pause(1.0)
        other = make_store(tmp_path / "other", customers=[{"name": "钱多多"}])
        for folder in (other.root / "customers").glob("*/*"):
            target = store.root / "customers" / folder.parent.name / folder.name
            target.parent.mkdir(exist_ok=True)
            shutil.copytree(folder, target)
        settings_changed(store.root, "disabled:", "disabled: [unclosed\n  enabled:")
        # the watcher's next look comes after ten times its last scan's time: on a loaded machine
        # (two test runs at once) one slow scan put it past 10 s
        await wait_until(pilot, lambda: any("cannot be read" in str(n.message) for n in app._notifications),
                         what="the broken kehu.yaml said", timeout=60)
        await wait_until(pilot, lambda: "钱多多" in screen_text(app), what="the colleague's customer")
        assert app.is_running and app.return_code is None
