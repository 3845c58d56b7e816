"""A command killed half-way (kill -9, the OOM killer, a power cut): what it wrote is the entry
``kehu undo`` takes back (kehu_core.journal_ahead)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import kehu
from .test_hostile import tree_hash

# `kehu customer merge` in a process that is killed (SIGKILL: nothing of Python runs after it)
# as it is about to write its fourth file, half-way through moving the records
KILLED_MERGE = """
import os, signal, sys
from kehu_core.services import file_changes  # where the merge writes each file it moves
real, count = file_changes.atomic_write, [0]
def dying(*args, **kwargs):
    count[0] += 1
    if count[0] == 4:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
file_changes.atomic_write = dying
from kehu_core.cli import main
sys.argv = ["kehu", *sys.argv[1:]]
main()
"""


def _two_of_one_customer(tmp_path: Path) -> tuple[Path, str, str]:
    """A store of 王芳 twice, the second with four notes (a merge moves them one by one)."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    keep = kehu("customer", "add", "--name", "王芳", "--phone", "13800138000", store=path).out.strip()
    other = kehu("customer", "add", "--name", "王芳", "--phone", "13800138001", store=path).out.strip()
    for day in ("2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04"):
        assert kehu("interaction", "add", other, "--kind", "note", "--date", day, "--text", day, store=path).code == 0
    return path, keep, other


def _merge_killed(path: Path, keep: str, other: str) -> None:
    killed = subprocess.run([sys.executable, "-c", KILLED_MERGE, "--store", str(path), "customer", "merge",
                             keep, other], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr


def test_a_merge_killed_half_way_is_taken_back_by_undo(tmp_path: Path) -> None:
    """The journal entry is written when a command ends, so a merge killed half-way left the
    records moved so far under both customers (`check`: each "counted twice"), and `kehu undo`,
    not knowing the merge, took back the command before it — a sale recorded earlier. Now what a
    command is about to change is written ahead, and the next command makes it the entry the
    merge never wrote."""
    path, keep, other = _two_of_one_customer(tmp_path)
    sale = kehu("purchase", "add", keep, "--date", "2026-05-05", "--item", "茶", "--amount", "100", store=path)
    assert sale.code == 0
    before = tree_hash(path)
    _merge_killed(path, keep, other)
    assert kehu("check", store=path).code == 1  # half a merge
    listed = kehu("undo", "--list", "--json", store=path)  # reading the journal finds it too
    assert listed.code == 0 and "was stopped before it finished" in listed.err, listed.err
    newest = listed.json()[0]
    assert newest["command"].startswith("kehu customer merge") and "interrupted" in newest["command"], newest
    undone = kehu("undo", store=path)
    assert undone.code == 0, undone.err
    assert "merge" in undone.out and "(interrupted)" in undone.out, undone.out
    assert kehu("check", store=path).code == 0
    assert tree_hash(path) == before  # the sale is still there, and the merge is gone
    assert not list((path / ".kehu" / "journal" / "pending").glob("*"))
    merged = kehu("customer", "merge", keep, other, store=path)  # and it can be run again
    assert merged.code == 0 and kehu("check", store=path).code == 0


def test_a_line_cut_short_by_the_kill_is_left_out_and_the_rest_taken_back(tmp_path: Path) -> None:
    """The kill can land while a before-image is being written ahead: that line is cut short,
    and its file was not yet touched. The other lines are still the entry undo takes back."""
    path, keep, other = _two_of_one_customer(tmp_path)
    before = tree_hash(path)
    _merge_killed(path, keep, other)
    [pending] = (path / ".kehu" / "journal" / "pending").glob("*")
    with pending.open("a", encoding="utf-8") as out:
        out.write('{"path": "customers/zz/')  # the line being written when the kill came
    undone = kehu("undo", store=path)
    assert undone.code == 0 and "Traceback" not in undone.err, undone.err
    assert kehu("check", store=path).code == 0
    assert tree_hash(path) == before
