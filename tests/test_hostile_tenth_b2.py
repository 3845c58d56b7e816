"""Tenth outside round, B, continued (issue 16, kind 9): what a plugin's rules say, each seen
failing before its fix. Real stores and processes; the plugins are real objects registered with
the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.testing import add_customer, make_store, run_kehu

FORGED = "fake.yaml:1: forged problem"


@pytest.mark.parametrize("hook", ["validate_customer", "validate_ledger"])
def test_a_rules_message_of_more_than_one_line_is_the_plugins_failure(tmp_path: Path, hook: str) -> None:
    """`kehu check` prints each problem as one `path:line: message` line (editors and scripts
    parse them): a plugin's rule whose message held a line break printed a line of its making,
    a problem of another file (``fake.yaml:1: forged problem``), exit 1 for the plugin's reason.
    A message is one line of printable text, or the rule's result is the plugin's wrong result,
    named."""

    class Forger:
        @hookimpl
        def validate_customer(self, store: Any, customer: Any) -> list[str] | None:
            return ["wechat: bad\n" + FORGED] if hook == "validate_customer" else None

        @hookimpl
        def validate_ledger(self, store: Any, customer_id: str, ledger: str,
                            entries: list[dict[str, Any]]) -> list[tuple[int, str]] | None:
            return [(0, "bad\r\n" + FORGED)] if hook == "validate_ledger" else None

    store = make_store(tmp_path / "store", plugins={"forger": Forger()})
    cid = add_customer(store, name="赵敏")
    assert run_kehu(store, "purchase", "add", cid, "--item", "茶", "--price", "100", "--date", "2026-11-01").code == 0
    checked = run_kehu(store, "check")
    lines = (checked.out + checked.err).splitlines()
    assert not any(line.startswith(FORGED) for line in lines), lines
    assert f"plugin 'forger' failed in {hook}: wrong result" in checked.out + checked.err, lines
