"""The fourteenth outside round (C, 2026-12-06), kinds 7, 8 and 9: exports that attack their
reader, resource exhaustion, plugins. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.services import sync as sync_service
from kehu_core.testing import add_customer, make_store, run_kehu

from .conftest import git


class _Hangs:
    """A rule that waits on one customer (a network call to a server that never answers, a lock
    it never gets); the rule of every other customer is fine."""

    def __init__(self, name: str) -> None:
        self.name, self.asked, self.hangs = name, 0, False

    @hookimpl
    def validate_customer(self, customer: Any, store: Any) -> list[str]:
        if customer.name == self.name and self.hangs:
            self.asked += 1
            time.sleep(30)  # stopped by the bound long before
        return []


def test_a_plugin_hook_that_never_returns_does_not_hold_a_sync(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`kehu sync` (a cron job of the rep's laptop) with a third party's rule that never returns
    on one customer: the sync waited for ever, without a word, holding the store's lock — every
    other command and the TUI's writes refused after 30 s, "another kehu process is writing",
    the next scheduled sync too. A hook of an installed plugin that runs past the bound
    (`sync.PLUGIN_HOOK_SECONDS`) is stopped and is its plugin's failure, named: check rejects
    the clone, so nothing is committed or pushed, and the plugin is not asked again in that
    sync (one hanging on every customer would hold it a bound for each)."""
    monkeypatch.setattr(sync_service, "PLUGIN_HOOK_SECONDS", 0.5)
    rule = _Hangs("张三")
    store = make_store(tmp_path / "shop", plugins={"hangs": rule}, git=True)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(store.root, "remote", "add", "origin", str(remote))
    assert run_kehu(store, "sync").code == 0
    for name in ("张三", "李四", "王五"):
        add_customer(store, name=name)
    status = git(store.root, "status", "--porcelain")
    rule.hangs = True
    synced = run_kehu(store, "sync")
    assert synced.code == 1, synced.out + synced.err
    assert "plugin 'hangs' failed in validate_customer" in synced.err, synced.err
    assert "0.5" in synced.err and "Traceback" not in synced.err, synced.err
    assert rule.asked == 1  # not asked again: a rule hanging on each customer held it each time
    assert git(store.root, "status", "--porcelain") == status  # nothing committed
    assert git(str(remote), "log", "--oneline").count("\n") == 1  # nothing pushed
    assert run_kehu(store, "customer", "add", "--name", "赵六").code == 0  # the lock is free
