"""The twenty-sixth round's text fuzzer's findings (issue 16, kind 2): what one door of kehu read
and another refused or read otherwise. Each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile_twentythird_lead import refused_by_every_door
from .test_team_merge import ok


@pytest.mark.parametrize("written", [
    "&anotes: |\n  先送样品",  # an anchor of an empty key, its name running into the colon
    "&anotes: 先送样品\nlevel: *anotes",  # and an alias elsewhere: PyYAML read a field of no name
    "notes: &a.b 先送样品\nlevel: *a.b",  # a name of other characters: PyYAML refused, the editor read it
    "notes: &客户 先送样品\nlevel: *客户",
])
def test_an_anchor_whose_name_readers_end_in_different_places_is_refused_by_every_door(
        tmp_path: Path, written: str) -> None:
    """`&anotes: |` … `*a`: YAML 1.2 (the editor's ruamel, yaml-rs) reads the name `anotes:`,
    PyYAML (the scan's loader for a file holding an alias, and kehu's other loaders) the name
    `anotes` and a field of no name: `kehu check` said ok and `customer set` refused the file.
    `&a.b`, `&客户`: read by the editor, refused by PyYAML. Every door now refuses it at its line
    and says to rename it or put a space after it."""
    said = refused_by_every_door(tmp_path, written)
    assert len({line for line, _message in said}) == 1, said
    for _line, message in said:
        assert "anchor or alias" in message, said


def test_a_plain_text_holding_ampersands_and_stars_is_no_anchor(tmp_path: Path) -> None:
    """The anchors' rule looks at YAML's tokens, not at the characters: `R&D's`, `*重要*` in a
    plain text are text to every door."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    cid = ok("customer", "add", "--name", "甲", store=store).strip()
    profile = next(store.glob(f"customers/*/{cid}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + "notes: R &D's *重要* &x:y\n", encoding="utf-8")
    assert kehu("check", store=store).code == 0
    assert json.loads(ok("customer", "show", cid, "--json", store=store))["notes"] == "R &D's *重要* &x:y"
    assert kehu("customer", "set", cid, "level=A", store=store).code == 0


@pytest.mark.parametrize("written", ["? <<\n: {level: 金卡}", "? << # 合并\n: {level: 金卡}",
                                     "{? <<: {level: 金卡}}"])
def test_a_merge_key_written_as_a_complex_key_is_merged_by_every_door(tmp_path: Path, written: str) -> None:
    """`? <<` then `: {level: 金卡}`: the editor (and PyYAML) merge it as they merge `<<:`; the
    scan (yaml-rs) kept a field named '<<', so `show` and the lists had no level while
    `customer set` kept 金卡. The scan now reads it as the editor does."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    cid = ok("customer", "add", "--name", "甲", store=store).strip()
    profile = next(store.glob(f"customers/*/{cid}/customer.yaml"))
    text = profile.read_text(encoding="utf-8")
    if written.startswith("{"):  # the whole profile a flow mapping beginning with the merge
        lines = [line for line in text.splitlines() if line and not line.startswith("#")]
        text = written[:-1] + ", " + ", ".join(lines) + "}\n"
    else:
        text += written + "\n"
    profile.write_text(text, encoding="utf-8")
    assert kehu("check", store=store).code == 0
    shown = json.loads(ok("customer", "show", cid, "--json", store=store))
    assert shown.get("level") == "金卡" and "<<" not in shown, shown


@pytest.mark.parametrize(("written", "read"), [
    ("notes: !!timestamp 先送样品", "先送样品"),  # text tagged as a date: an AttributeError traceback
    ("level: !!bool 金卡", None),  # text tagged as true or false: a KeyError traceback
])
def test_a_value_tagged_as_a_type_it_is_not_is_read_as_the_editor_reads_it(
        tmp_path: Path, written: str, read: str | None) -> None:
    """`notes: !!timestamp 先送样品` took `kehu check` and `customer show` down with a Python
    traceback (PyYAML's constructor failing on text that is no date); the editor read the text.
    `!!bool 金卡`: a KeyError traceback, where the editor refused it. Now the first is read as
    the editor reads it, and the second refused by every door at its line."""
    if read is None:
        said = refused_by_every_door(tmp_path, written)
        assert len({line for line, _message in said}) == 1, said
        return
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    cid = ok("customer", "add", "--name", "甲", store=store).strip()
    profile = next(store.glob(f"customers/*/{cid}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + written + "\n", encoding="utf-8")
    result = kehu("check", store=store)
    assert result.code == 0 and "Traceback" not in result.out + result.err, result
    assert json.loads(ok("customer", "show", cid, "--json", store=store))["notes"] == read
    assert kehu("customer", "set", cid, "level=A", store=store).code == 0


@pytest.mark.parametrize("odd", [
    "- {date: 2026-01-05, reason: gift, delta: 5, note: :x}",  # a value starting with `:`
    "- {date: 2026-01-05, reason:?  gift, delta: 5}",  # `:?`
    "- {date: 2026-01-05, reason: gift, delta: 5, :note: x}",  # an entry starting with `:`
    "\t# 手写的注释",  # a comment after a tab
    "# 手写的\x7f注释",  # a control character in a comment
])
def test_a_ledger_line_is_read_alike_by_check_and_by_a_customer_merge(tmp_path: Path, odd: str) -> None:
    """A ledger is read whole by `kehu check`, `points` and `show` (yaml-rs) and line by line by
    a customer merge, a sync settling a ledger's merge and a line read back (PyYAML): `note: :x`,
    `reason:?  gift` were read by the first and refused by the second, and a comment after a tab
    or holding a control character was refused by the first and passed over by the second (the
    merge went on with a ledger `check` refused). Both now read each line alike: refused at its
    line by both, the store left as it was."""
    import re

    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    keep = ok("customer", "add", "--name", "甲", store=store).strip()
    other = ok("customer", "add", "--name", "乙", store=store).strip()
    (folder,) = store.glob(f"customers/*/{other}")
    ledger = folder / "points.ledger.yaml"
    text = f"# points ledger of {other}: append-only, one entry per line\n{odd}\n"
    ledger.write_text(text, encoding="utf-8", newline="")
    from .test_team_merge import git

    git(store, "add", "-A")
    git(store, "commit", "-qm", "a hand-edited ledger")
    checked = kehu("check", store=store)
    assert checked.code == 1 and re.search(r"points\.ledger\.yaml:2: ", checked.out + checked.err), checked
    merged = kehu("customer", "merge", keep, other, store=store)
    assert merged.code == 1 and re.search(r"points\.ledger\.yaml:2: ", merged.out + merged.err), merged
    assert "Traceback" not in merged.out + merged.err
    assert ledger.read_text(encoding="utf-8") == text and (folder / "customer.yaml").is_file()


def test_an_anchor_beside_a_control_character_is_refused_without_a_traceback(tmp_path: Path) -> None:
    """The anchors' rule reads YAML's tokens, whose reader stops at a control character: an odd
    anchor beside one (`notes: &a.b 先送\\x7f样品`) ended every door in "internal error:
    ReaderError" (found by the fuzzer on the anchors' rule itself). The control character is
    refused at its line, as before the rule."""
    said = refused_by_every_door(tmp_path, "notes: &a.b 先送\x7f样品")
    assert len({line for line, _message in said}) == 1, said
    assert all("control character" in message for _line, message in said), said


def test_kehu_yaml_holding_what_its_editor_refuses_is_refused_by_every_command(tmp_path: Path) -> None:
    """kehu.yaml is read by every command (PyYAML) and edited by `kehu keys` (the round-trip
    editor): `currency:\tCNY`, a tab after the colon, was read by `kehu check` and every other
    command, and refused by `kehu keys fields add` in the editor's words. Every command now
    refuses it at its line, saying what to change, as a record's tab is refused; the file is left
    as it was."""
    import re

    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    config = store / "kehu.yaml"
    text = re.sub(r"(?m)^currency:.*\n", "", config.read_text(encoding="utf-8")) + "currency:\tCNY\n"
    config.write_text(text, encoding="utf-8")
    line = str(text.split("\n").index("currency:\tCNY") + 1)
    for args in (("check",), ("customer", "list"), ("keys", "fields", "add", "notes")):
        result = kehu(*args, store=store)
        said = re.search(r"kehu\.yaml:(\d+): (.*)", result.out + result.err)
        assert result.code == 1 and said is not None and said.group(1) == line, (args, result)
        assert "tab" in said.group(2) and "Traceback" not in result.out + result.err, result
    assert config.read_text(encoding="utf-8") == text


def test_the_text_fuzzer_finds_no_door_reading_a_record_otherwise(tmp_path: Path) -> None:
    """The fuzzer of this round (tests/text_fuzz.py: profiles, interactions, payments, ledgers,
    visit plans and kehu.yaml, one to five awkward insertions and structural changes each), 600
    texts: no door crashes, and none reads what the door every command asks first refuses, or
    reads other values. Before this round's fixes it found anchors, `? <<`, tags on the wrong
    type (tracebacks), ledger lines and tabs in kehu.yaml. (The first door refusing what another
    reads, `%FOO`, `!foo`, `--- |`, is every command's refusal, and not counted.)"""
    from .text_fuzz import BASES, fuzz

    found = fuzz(26, 600, list(BASES), tmp_path / "fuzz.yaml")
    wrong = {key: texts[0] for key, texts in found.items() if key[1] != "first refuses"}
    assert not wrong, wrong


def test_an_ordered_map_tag_is_refused_where_each_door_read_another_value(tmp_path: Path) -> None:
    """`disabled: !!omap []` in kehu.yaml (found by the fuzzer's longer run): an empty list to
    every command (PyYAML), an empty mapping to `kehu keys`' editor, which wrote it back so. kehu
    writes no `!!omap` or `!!pairs`: every command refuses it at its line."""
    import re

    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    config = store / "kehu.yaml"
    text = re.sub(r"(?m)^plugins:\n(?:  .*\n)*", "", config.read_text(encoding="utf-8"))
    text += "plugins:\n  disabled: !!omap []\n"
    config.write_text(text, encoding="utf-8")
    line = str(text.split("\n").index("  disabled: !!omap []") + 1)
    for args in (("check",), ("keys", "fields", "add", "notes")):
        result = kehu(*args, store=store)
        said = re.search(r"kehu\.yaml:(\d+): (.*)", result.out + result.err)
        assert result.code == 1 and said is not None and said.group(1) == line, (args, result)
        assert "omap" in said.group(2) and "Traceback" not in result.out + result.err, result
    assert config.read_text(encoding="utf-8") == text
