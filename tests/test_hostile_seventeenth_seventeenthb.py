"""The seventeenth outside round (seventeenthb, 2026-12-06): issue 16's kind 3, one set of rules
for every door (CLI, TUI, import, hand edit, `kehu check`, plugins). Each failed on the code
before its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

from kehu_core.store import open_store

from . import test_hostile_limits
from .conftest import TODAY, kehu
from .pluginutil import add_customer, buy

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


def test_a_ledger_reason_is_bounded_as_a_text_field_is(store_path: Path) -> None:
    """`kehu points redeem --reason` (and a void's) kept a text of any length on the ledger's one
    line (a 100 000-character reason, exit 0), where a name or a title is held to
    `models.MAX_TEXT`; a hand-edited ledger line so long is named by `kehu check`."""
    cid = add_customer(store_path, "赵敏")
    sale = buy(store_path, cid, 300, TODAY.isoformat())
    void = kehu("purchase", "void", cid, sale, "--reason", "z" * 201, store=store_path)
    no_traceback(void)
    assert void.code == 1 and "--reason" in void.err and "200" in void.err, void.err
    ledger = open_store(store_path).ledger_file(cid, "points")
    before = ledger.read_bytes()
    refused = kehu("points", "redeem", cid, "10", "--reason", "x" * 100_000, store=store_path)
    no_traceback(refused)
    assert refused.code == 1 and "--reason" in refused.err and "200" in refused.err, refused.err
    assert ledger.read_bytes() == before
    assert kehu("points", "redeem", cid, "10", "--reason", "x" * 200, store=store_path).code == 0
    hand_edit = f'- {{date: {TODAY}, reason: redeem, delta: -1, note: {"y" * 300}}}\n'
    ledger.write_bytes(ledger.read_bytes() + hand_edit.encode())
    checked = kehu("check", store=store_path)
    no_traceback(checked)
    assert checked.code == 1 and "note" in checked.out and "200" in checked.out, checked.out
