"""The seventeenth outside round (seventeenthb, 2026-12-06): issue 16's kind 3, one set of rules
for every door (CLI, TUI, import, hand edit, `kehu check`, plugins). Each failed on the code
before its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

from . import test_hostile_limits
from .conftest import kehu
from .pluginutil import add_customer

no_traceback = test_hostile_limits.no_traceback


def test_an_id_typed_with_spaces_is_refused_by_visits_plan_as_by_every_door(store_path: Path) -> None:
    """`kehu visits plan --add ' ID'` took the spaces off and planned the visit, where `customer
    show ' ID'` and every other door refuse such an id (`ids.check_id`)."""
    cid = add_customer(store_path, "赵敏", "--owner", "小王")
    assert kehu("customer", "show", f" {cid}", store=store_path).code == 1
    files_before = sorted(store_path.rglob("*.yaml"))
    for typed in (f" {cid}", f"{cid} ", f"{cid}\n"):
        refused = kehu("visits", "plan", "--owner", "小王", "--add", typed, store=store_path)
        no_traceback(refused)
        assert refused.code == 1, refused.out
        assert "invalid customer id" in refused.err and repr(typed) in refused.err, refused.err
    assert sorted(store_path.rglob("*.yaml")) == files_before
    assert kehu("visits", "plan", "--owner", "小王", "--add", cid, store=store_path).code == 0

