"""The sixteenth outside round (sixteenthd, 2026-12-06): issue 16's "one set of rules for every
door" and "user errors are messages, not tracebacks", tried on every command and sub-command with
hostile arguments, streams and settings. Each test failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import test_hostile_limits
from .conftest import kehu
from .test_dedupe import files_of

no_traceback = test_hostile_limits.no_traceback


@pytest.mark.parametrize("birthday", ["0000-01-01", "0000-02-29"])
def test_a_birthday_in_year_0000_is_refused_at_every_door(store_path: Path, birthday: str) -> None:
    """`customer add --birthday 0000-01-01` (or `customer set birthday=`) ended in "internal
    error: ValueError: year 0 is out of range", and the same birthday written by hand passed
    `kehu check` as a birthday without a year (`--01-01`): year 0 read as "no year". It is a day
    outside the dates kehu keeps at every door (`calendar.parse_solar`)."""
    added = kehu("customer", "add", "--name", "甲", "--birthday", birthday, store=store_path)
    no_traceback(added)
    assert added.code == 1 and "outside the dates kehu keeps" in added.err, added.err
    made = kehu("customer", "add", "--name", "乙", store=store_path)
    assert made.code == 0, made.err
    cid = made.out.strip()
    before = files_of(store_path)
    changed = kehu("customer", "set", cid, f"birthday={birthday}", store=store_path)
    no_traceback(changed)
    assert changed.code == 1 and "outside the dates kehu keeps" in changed.err, changed.err
    assert files_of(store_path) == before
    profile = next(store_path.glob(f"customers/*/{cid}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + f"birthday: '{birthday}'\n", encoding="utf-8")
    checked = kehu("check", store=store_path)
    assert checked.code == 1 and f"{profile}:" in checked.out + checked.err, checked.out + checked.err
    assert "outside the dates kehu keeps" in checked.out + checked.err
