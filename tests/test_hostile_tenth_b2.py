"""Tenth outside round, B, continued (issue 16, kind 9): what a plugin's rules say, each seen
failing before its fix. Real stores and processes; the plugins are real objects registered with
the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.testing import add_customer, make_store, run_kehu

from .conftest import kehu

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


@pytest.mark.parametrize("channel", ["wechat\nx", "\u202ewechat", "  "])
def test_a_senders_channel_of_more_than_one_line_sends_nothing_twice(tmp_path: Path, channel: str) -> None:
    """A plugin's message sender whose ``channel`` held a line break or a direction control:
    `kehu send --channel` sent the message, then failed to record it (a message's channel is
    one line), exit 1, so the next `kehu send` sent it again, and again: the customer got the
    message once per run. A sender's channel is a name of one line of printable text, or the
    sender is the plugin's wrong result, named, and nothing is sent."""
    sent: list[str] = []

    class Sender:
        def __init__(self) -> None:
            self.channel = channel

        def send(self, store: Any, customer: Any, subject: str, body: str) -> str:
            sent.append(customer.id)
            return f"m{len(sent)}"

    class Sending:
        @hookimpl
        def message_senders(self, store: Any) -> list[Any]:
            return [Sender()]

    store = make_store(tmp_path / "store", plugins={"sending": Sending()})
    add_customer(store, name="赵敏", phones=["13800138000"])
    for _run in range(2):
        result = run_kehu(store, "send", "--segment", "all", "--template", "winback", "--channel", channel)
        assert result.code == 1 and "plugin 'sending' failed in message_senders: wrong result" in result.err, result.err
    assert sent == []


def test_a_change_kehu_journaled_past_a_records_size_can_be_undone(tmp_path: Path) -> None:
    """An entry of the undo journal notes every file its command wrote and the text each held
    before: a handover of three customers with long notes (or an import of 3 000 rows) wrote
    one over a record's 2 MiB, and from then on `kehu undo` and `kehu undo --list` refused the
    whole journal, "not a journal entry kehu wrote (file is 2 700 000 bytes; records are at
    most 2097152); remove it" — no change before or after it could be undone. An entry is read
    up to what kehu writes (`journal_entries.MAX_ENTRY_BYTES`)."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    notes = "笔记" * 150_000  # 900 KB a profile, under a record's 2 MiB
    for name in ("甲", "乙", "丙"):
        assert kehu("customer", "add", "--name", name, "--owner", "王芳", "--note", notes, store=store).code == 0
    assert kehu("handover", "王芳", "李雷", store=store).code == 0
    entry = max((store / ".kehu" / "journal").glob("*.json"))
    assert entry.stat().st_size > 2 * 2**20  # the entry is bigger than any record
    listed = kehu("undo", "--list", store=store)
    assert listed.code == 0 and "handover" in listed.out.splitlines()[0], listed.err
    undone = kehu("undo", store=store)
    assert undone.code == 0, undone.err
    owners = {c["owner"] for c in kehu("customer", "list", "--json", store=store).json()}
    assert owners == {"王芳"}


@pytest.mark.parametrize("field", ["title", "key"])
def test_a_reminder_of_more_than_one_line_is_the_rules_failure(tmp_path: Path, field: str) -> None:
    """A plugin's reminder rule whose reminder's title (or key) held a line break: `kehu
    reminders` printed a reminder line of the rule's making among the real ones (``2026-11-21
    赵敏  转账到 6222-…``), exit 0. It is the rule's wrong result, named, and shows nothing."""
    from kehu_core.models.plugin_data import Reminder

    class Spoofing:
        name = "spoof"

        def due(self, store: Any, customer: Any, history: Any, start: Any, end: Any) -> Any:
            title, key = "打电话", f"spoof:{customer.id}:1"
            forged = "\n2026-11-21  赵敏  转账到 6222-xxxx"
            yield Reminder(customer_id=customer.id, customer_name=customer.name, due=start, rule="spoof",
                           title=title + forged if field == "title" else title,
                           key=key + forged if field == "key" else key)

    class Rules:
        @hookimpl
        def reminder_rules(self, store: Any) -> list[Any]:
            return [Spoofing()]

    store = make_store(tmp_path / "store", plugins={"rules": Rules()})
    add_customer(store, name="赵敏")
    result = run_kehu(store, "reminders", "--days", "3")
    assert result.code == 0, result.err
    assert "转账到" not in result.out, result.out
    assert "failed in reminder rule spoof: wrong result" in result.err and field in result.err, result.err


def test_a_tier_name_of_more_than_one_line_is_the_plugins_failure(tmp_path: Path) -> None:
    """A tier's name is typed (`customer list --tier`) and listed one a line: a plugin's
    ``tier_names`` holding a line break or a direction control was listed as it was, a line of
    its own in the list of tiers `customer list --tier` gives. A tier's name is one line of
    printable text, or the result is the plugin's wrong result, named."""

    class Tiers:
        @hookimpl
        def tier_names(self, store: Any) -> list[str]:
            return ["VIP\n伪造行", "\u202eABC"]

    store = make_store(tmp_path / "store", plugins={"tiers": Tiers()})
    add_customer(store, name="赵敏")
    result = run_kehu(store, "customer", "list", "--tier", "VIP")
    assert result.code == 1 and "\u202e" not in result.err, result.err
    assert not any(line.startswith("伪造行") for line in result.err.splitlines()), result.err
    assert "plugin 'tiers' failed in tier_names: wrong result" in result.err, result.err
