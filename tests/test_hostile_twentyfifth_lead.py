"""The twenty-fifth round's own findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import kehu
from .test_team_merge import ok


@pytest.mark.parametrize("written", ["hobby: {最爱: 茶, 其次:}", "hobby: [茶:, 水]", "tags: [老客户, 新:]",
                                     "hobby: ['茶':]"])
def test_a_key_written_right_before_the_end_of_a_flow_entry_is_read_alike_by_every_door(
        tmp_path: Path, written: str) -> None:
    """`hobby: {最爱: 茶, 其次:}`, `[茶:, 水]`: to YAML (the scan that `kehu check` and the lists
    use) `其次:` is a key with no value; to the round-trip editor of `customer set` and `kehu
    edit` it is the text '其次:'. `check` said ok, `show` showed one thing and `set` kept the
    other (and a quoted `['茶':]` was read by the scan and refused by the editor). Every door
    now refuses such a file, at the same line, saying how to write it."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    cid = ok("customer", "add", "--name", "甲", store=store).strip()
    profile = next(store.glob(f"customers/*/{cid}/customer.yaml"))
    before = profile.read_text(encoding="utf-8") + written + "\n"
    profile.write_text(before, encoding="utf-8")
    said = [kehu("check", store=store), kehu("customer", "show", cid, store=store),
            kehu("customer", "set", cid, "level=A", store=store)]
    lines = set()
    for result in said:
        assert result.code == 1, (written, result)
        found = re.search(r"customer\.yaml:(\d+): ", result.out + result.err)
        assert found is not None and "Traceback" not in result.out + result.err, result
        lines.add(found.group(1))
    assert lines == {str(before.count("\n"))}, (written, said)
    assert profile.read_text(encoding="utf-8") == before
    profile.write_text(before.replace(":]", ": ]").replace(":}", ": }").replace(":,", ": ,"), encoding="utf-8")
    if written.startswith("hobby: {") or written == "hobby: [茶:, 水]":  # as the message says: read alike
        assert kehu("check", store=store).code == 0
        assert kehu("customer", "set", cid, "level=A", store=store).code == 0
