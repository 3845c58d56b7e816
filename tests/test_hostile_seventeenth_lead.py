"""Seventeenth round, the lead's finds (issue 16). Each failed on the code before its fix; see
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

from .conftest import kehu
from .test_hostile import tree_hash
from .test_hostile_limits import base, no_traceback, store  # noqa: F401 (fixtures)


def test_an_empty_today_is_refused_as_every_empty_date_is(store: tuple[Path, str]) -> None:  # noqa: F811
    """`kehu --today "$DAY" reminders` with DAY unset ran at the system date, exit 0: the one
    day the user had said it should not run at, and a script's report of a fixed day differed
    by the day it ran. Every other date option (`--date ""`, `--as-of ""`) refused the empty
    text; `--today ""` does too, naming itself, exit 2 as any bad argument, nothing written."""
    path, _ = store
    before = tree_hash(path)
    for args in (["--today", "", "reminders"], ["--today", "", "customer", "list"]):
        ran = kehu(*args, store=path)
        no_traceback(ran)
        assert ran.code == 2, (args, ran.out, ran.err)
        assert "'--today'" in ran.err and "is not a date" in ran.err, ran.err
    assert tree_hash(path) == before
