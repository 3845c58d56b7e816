"""The twenty-sixth round's attacks of kinds 1-4 (issue 16) that the last round found and did not
fix: each test failed before its fix, with the message or the write the test names."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .conftest import kehu
from .test_hostile_twentyfifth_attackfiles import Unreadable, _tree
from .test_hostile_twentyfourth_linkwrite import a_top_folder


@pytest.fixture
def unreadable() -> Iterator[Unreadable]:
    with a_top_folder("kehu-attackfiles26-") as top:
        yield Unreadable(top)


# --- kind 1: an unreadable folder or file a report reads ---------------------------------------

_DENIED = "cannot read: permission denied (check the file's owner and mode)"


@pytest.mark.parametrize("which", ["visits", "visits/王芳", "plan", ".kehu/journal", "entry"])
def test_an_unreadable_folder_or_file_a_report_reads_is_named_as_check_names_it(
        unreadable: Unreadable, which: str) -> None:
    """`kehu report reps` with `visits/` or `.kehu/journal` unreadable said the system's bare
    "…: Permission denied"; an unreadable journal entry was "not a journal entry kehu wrote …;
    remove it" (the user told to delete their undo history); and a rep's folder that could not
    be entered was no plans at all: the rep's planned visits counted 0 with exit 0."""
    store = unreadable.store
    assert kehu("visits", "plan", "--owner", "王芳", "--date", "2026-11-20", "--add", unreadable.cid,
                store=store).code == 0
    target = {"visits": store / "visits", "visits/王芳": store / "visits" / "王芳",
              "plan": store / "visits" / "王芳" / "2026-11-20.yaml", ".kehu/journal": store / ".kehu" / "journal",
              "entry": next((store / ".kehu" / "journal").glob("*.json"))}[which]
    before = _tree(store)
    os.chmod(target, 0)
    said = unreadable.kehu("report", "reps")
    text = said.stdout + said.stderr
    assert said.returncode == 1, text
    assert "Traceback" not in text and "remove it" not in text, text
    assert f"{target}:1: {_DENIED}" in said.stderr, text
    assert _tree(store) == before
