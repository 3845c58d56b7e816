"""The twenty-eighth round's exportstream findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import kehu

_NOISE = ("Traceback", "Exception ignored", "internal error")


@pytest.fixture
def shop(store_path: Path) -> Path:
    """A store of one customer with a birthday and a sale."""
    made = kehu("customer", "add", "--name", "张三", "--phone", "13912345678", "--birthday", "1990-12-20",
                store=store_path)
    assert made.code == 0, made.err
    assert kehu("--today", "2026-12-07", "purchase", "add", made.out.strip(), "--item", "茶", "--amount", "100",
                store=store_path).code == 0
    return store_path


# --- kind 4: an export to a standard output that cannot be written ----------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("args", [["export", "--format", "csv", "-"], ["export", "--format", "xlsx", "-"],
                                  ["export", "--format", "vcard", "-"], ["export", "--format", "ics", "-"],
                                  ["reminders", "--days", "400", "--ics", "-"]])
def test_an_export_to_a_full_standard_output_does_not_say_it_wrote_rows(shop: Path, args: list[str]) -> None:
    """`kehu export --format vcard - > /dev/full` (a full disk under the shell's `>`): "wrote 1
    contacts to -", then "the standard output could not be written", exit 1: the summary said
    the rows were written when none were (the failure was kept by kehu's standard output for
    the command's end). Now only the failure is said, exit 1."""
    with open("/dev/full", "wb") as full:
        said = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(shop), "--today", "2026-12-07",
                               *args], stdout=full, stderr=subprocess.PIPE, text=True, check=False, timeout=300)
    assert not any(noise in said.stderr for noise in _NOISE), said.stderr
    assert said.returncode == 1, said.stderr
    assert "the standard output could not be written: No space left on device" in said.stderr, said.stderr
    assert "wrote" not in said.stderr and "reminders" not in said.stderr, said.stderr
    assert said.stderr.count("kehu:") == 1, said.stderr
