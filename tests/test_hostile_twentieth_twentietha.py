"""The twentieth round (A, 2026-12-06), issue 16: `kehu points void ID` without `--customer`
finds the ledger holding the entry through the index's entry ids (``ledger_entries``), not a
`git grep` of the store. Each test that names what failed before saw it fail on the code before."""

from __future__ import annotations

import os
from pathlib import Path

from .conftest import kehu
from .test_team_merge import ok


def _entry_ids(store: Path, cid: str) -> list[str]:
    return [e["id"] for e in kehu("points", "show", cid, "--json", store=store).json()["ledger"]]


def _buyers(root: Path, names: str, *, git: bool = True) -> list[str]:
    assert kehu("init", *([] if git else ["--no-git"]), str(root)).code == 0
    ids = [ok("customer", "add", "--name", name, store=root).strip() for name in names]
    for cid in ids:
        ok("purchase", "add", cid, "--item", "茶", "--price", "100", store=root)
    return ids


def test_points_void_by_id_alone_after_a_build_a_hand_edit_and_for_an_unknown_id(tmp_path: Path) -> None:
    """An entry is found by its id alone once the index is built (the index made anew, as after
    `kehu reindex --rebuild`); an entry written into a ledger by hand is found (the index reads
    the edited ledger again), and one taken out of it by hand is no longer; an id no ledger holds
    is said so, exit 1, nothing changed."""
    root = tmp_path / "s"
    first, second = _buyers(root, "甲乙")
    assert kehu("reindex", "--rebuild", store=root).code == 0
    wanted = _entry_ids(root, second)[-1]
    done = kehu("points", "void", wanted, store=root)
    assert done.code == 0 and f"took back points entry {wanted} of 乙 ({second})" in done.out, done.err
    assert _entry_ids(root, second) == []

    ledger = next(root.glob(f"customers/*/{first}/points.ledger.yaml"))
    held = _entry_ids(root, first)[-1]
    text = ledger.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if held in x)
    ledger.write_text(line.replace(held, "handmade01") + "\n", encoding="utf-8")
    gone = kehu("points", "void", held, store=root)
    assert gone.code == 1 and f"no points entry has the id {held}" in gone.err, gone.err
    done = kehu("points", "void", "handmade01", store=root)
    assert done.code == 0 and f"took back points entry handmade01 of 甲 ({first})" in done.out, done.err
    assert _entry_ids(root, first) == []

    before = {p: p.read_bytes() for p in root.glob("customers/*/*/points.ledger.yaml")}
    missing = kehu("points", "void", "zzzzzzzzzz", store=root)
    assert missing.code == 1 and "no points entry has the id zzzzzzzzzz" in missing.err, missing.err
    assert "Traceback" not in missing.err
    assert {p: p.read_bytes() for p in root.glob("customers/*/*/points.ledger.yaml")} == before


def test_points_void_by_id_alone_passes_a_ledger_that_cannot_be_read(tmp_path: Path) -> None:
    """Another customer's points ledger that cannot be read (a FIFO in its place) stopped `kehu
    points void ID` in a store outside git, and in a git store where that ledger was not
    committed yet (every ledger git did not track was read): refused, naming that file, exit 1.
    Now the index knows which ledgers hold the id; the entry is taken back, the FIFO never
    opened, and `kehu check` still names it."""
    for git in (False, True):
        root = tmp_path / f"s-{git}"
        held, broken = _buyers(root, "甲乙", git=git)
        ledger = next(root.glob(f"customers/*/{broken}/points.ledger.yaml"))
        ledger.unlink()
        os.mkfifo(ledger)
        wanted = _entry_ids(root, held)[-1]
        done = kehu("points", "void", wanted, store=root)
        assert done.code == 0 and f"took back points entry {wanted} of 甲 ({held})" in done.out, (git, done.err)
        assert _entry_ids(root, held) == []
        checked = kehu("check", store=root)
        assert checked.code == 1 and "points.ledger.yaml:1: is a FIFO" in checked.out, checked.out
