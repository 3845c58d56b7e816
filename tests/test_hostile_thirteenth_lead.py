"""Thirteenth round, the lead's finds (issue 16). Each failed on the code before its fix; see
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile import tree_hash
from .test_hostile_limits import base, no_traceback, store  # noqa: F401 (fixtures)


@pytest.mark.parametrize(("typed", "problem"), [
    ("2026-13-01", "is not a date"),
    ("garbage", "is not a date"),
    ("9999-12-31", "outside the dates kehu keeps"),
])
def test_a_bad_kehu_today_is_named_as_itself(
        store: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, typed: str, problem: str) -> None:  # noqa: F811
    """A bad KEHU_TODAY (left in a shell profile) was reported as "Invalid value for
    '--today'", an option the user never typed: they looked for it on the command line. The
    message names KEHU_TODAY when the day came from there and `--today` when it was typed,
    with the same reason; exit 2 as any bad argument, nothing written."""
    path, _ = store
    before = tree_hash(path)
    monkeypatch.setenv("KEHU_TODAY", typed)
    from_env = kehu("customer", "list", store=path)
    no_traceback(from_env)
    assert from_env.code == 2
    assert "KEHU_TODAY" in from_env.err and "--today" not in from_env.err, from_env.err
    assert problem in from_env.err and typed in from_env.err
    monkeypatch.delenv("KEHU_TODAY")
    typed_here = kehu("--today", typed, "customer", "list", store=path)
    assert typed_here.code == 2
    assert "'--today'" in typed_here.err and "KEHU_TODAY" not in typed_here.err, typed_here.err
    assert problem in typed_here.err
    assert tree_hash(path) == before
