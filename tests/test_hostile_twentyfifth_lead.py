"""The twenty-fifth round's own findings (issue 16): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile_twentythird_lead import refused_by_every_door
from .test_team_merge import ok, two_clones


@pytest.mark.parametrize("written", ["hobby: {最爱: 茶, 其次:}", "hobby: [茶:, 水]", "tags: [老客户, 新:]",
                                     "hobby: ['茶':]"])
def test_a_key_written_right_before_the_end_of_a_flow_entry_is_read_alike_by_every_door(
        tmp_path: Path, written: str) -> None:
    """`hobby: {最爱: 茶, 其次:}`, `[茶:, 水]`: to YAML (the scan that `kehu check` and the lists
    use) `其次:` is a key with no value; to the round-trip editor of `customer set` and `kehu
    edit` it is the text '其次:'. `check` said ok, `show` showed one thing and `set` kept the
    other (and a quoted `['茶':]` was read by the scan and refused by the editor). Every door
    now refuses such a file, at the same line, saying how to write it."""
    said = refused_by_every_door(tmp_path, written)
    store = tmp_path / "store"
    (profile,) = store.glob("customers/*/*/customer.yaml")
    assert {line for line, _message in said} == {str(profile.read_text(encoding="utf-8").count("\n"))}, said
    if written.startswith("hobby: {") or written == "hobby: [茶:, 水]":  # as the message says: read alike
        profile.write_text(profile.read_text(encoding="utf-8").replace(":]", ": ]").replace(":}", ": }")
                           .replace(":,", ": ,"), encoding="utf-8")
        assert kehu("check", store=store).code == 0
        assert kehu("customer", "set", profile.parent.name, "level=A", store=store).code == 0


@pytest.mark.parametrize("written", [
    "tags: [老客户, V\tIP]",  # a tab inside a flow value
    "hobby: {最爱: 茶, 其\n次: 咖啡}",  # a flow collection going on at the start of a line
    "hobby: {:最爱: 茶}",
    "hobby: ['茶':'绿茶']",  # a quoted key, its value right after the colon
    "notes: 先送样品\u2028再谈价格",  # LINE SEPARATOR pasted from a chat
    "level\u2029: A",
    "notes: 先送\x85样品",
])
def test_a_text_the_scan_read_and_the_editor_refused_or_read_otherwise_is_refused_by_every_door(
        tmp_path: Path, written: str) -> None:
    """Hand-edited profiles found by a text fuzzer comparing the scan (yaml-rs: `kehu check`,
    `show`, the lists) with the round-trip editor (`customer set`, `kehu edit`): a tab inside
    `[ ]`, a `{ }` going on at the start of the next line, and NEL, LINE or PARAGRAPH
    SEPARATOR pasted raw (line breaks to YAML 1.1, text to 1.2: the scan kept a key `level\\u2029`
    that the editor read as `level`). `check` said ok and `customer set` refused the file or
    kept other values. Every door now refuses it at the same line and says what is wrong."""
    said = refused_by_every_door(tmp_path, written)
    assert len({line for line, _message in said}) == 1, (written, said)
    for _line, message in said:
        if "\t" in written:
            assert "tab" in message, said
        if any(c in written for c in "\x85\u2028\u2029"):
            assert "line separator" in message, said


@pytest.mark.parametrize(("written", "shown"), [
    ("<<: {level: 金卡}", "金卡"),  # a merge key (YAML 1.1's, which the editor merges)
    ("notes: |\n  先送样品\n  ", "先送样品\n"),  # the file ending in a line of spaces
])
def test_a_text_yaml_rs_read_otherwise_is_read_by_the_scan_as_the_editor_reads_it(
        tmp_path: Path, written: str, shown: str) -> None:
    """A merge key `<<: {level: 金卡}`: the editor (and PyYAML) merge it, so `customer set` kept
    level 金卡, while the scan (yaml-rs) kept a field named '<<', and `show`, the lists and the
    reports had no level. A block's text followed by a last line of spaces with no line end:
    yaml-rs read one more line end. The scan now reads both as the editor does."""
    import json

    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    cid = ok("customer", "add", "--name", "甲", store=store).strip()
    profile = next(store.glob(f"customers/*/{cid}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + written, encoding="utf-8", newline="")
    assert kehu("check", store=store).code == 0
    shown_json = json.loads(ok("customer", "show", cid, "--json", store=store))
    key = "level" if "level" in written else "notes"
    assert shown_json[key] == shown, shown_json
    assert "<<" not in shown_json


def test_one_sheet_imported_in_two_clones_is_counted_once_after_the_duplicates_are_merged(tmp_path: Path) -> None:
    """Two reps import the shop's sheet each in their clone before syncing (found by the
    twenty-fifth round's attackmerge): the sync says which customers are likely one and to run
    `kehu customer merge`; done so, each merged customer still held the row's sale twice (under
    two ids, each `imported_from: s.csv:2`), and the revenue and the points counted it twice.
    A sale of one row of one sheet, held by both, is now kept once, its points once."""
    import json

    a, b = two_clones(tmp_path)
    sheet = tmp_path / "s.csv"
    sheet.write_text("name,phone,product,amount,date\n赵敏,13800138000,龙井,100,2026-11-01\n", encoding="utf-8")
    for clone in (a, b):
        ok("--today", "2026-11-20", "import", str(sheet), store=clone)
    ok("sync", store=a)
    ok("sync", store=b)
    ids = [c["id"] for c in json.loads(ok("customer", "list", "--json", store=b))]
    assert len(ids) == 2  # one customer twice, as the sync said
    merged = ok("--today", "2026-11-20", "customer", "merge", ids[0], ids[1], store=b)
    assert "kept once" in merged, merged
    shown = json.loads(ok("--today", "2026-11-20", "customer", "show", ids[0], "--json", store=b))
    assert [p["amount"] for p in shown["purchases"]] == ["100.00"], shown["purchases"]
    points = json.loads(ok("--today", "2026-11-20", "points", ids[0], "--json", store=b))
    assert points["balance"] == 100, points
    assert kehu("check", store=b).code == 0
