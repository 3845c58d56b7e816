"""The twenty-first outside round (E, 2026-12-07): combinations of the last rounds' commands,
special files where a record belongs. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest

from kehu_core.testing import make_store, run_kehu

TODAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_report_reps_does_not_pass_over_a_plan_file_it_cannot_read(tmp_path: Any, kind: str) -> None:
    """A rep's day plan (`visits/王芳/DAY.yaml`, where `kehu visits plan --add` keeps the visits
    the rep added) left a FIFO or a folder (a botched copy, a `mkfifo` of a script): `kehu visits
    plan` for that day and `kehu check` name it, but `kehu report reps` passed over it without a
    word, exit 0, the rep's planned visits counted short, where the same file holding bad YAML or
    a link stops the report naming it. Now the report names it too, as every other door does."""
    store = make_store(tmp_path / "store", today=TODAY,
                       customers=[{"name": "张三", "owner": "王芳"}])
    cid = next(iter(store.iter_customer_ids()))
    added = run_kehu(store, "visits", "plan", "--owner", "王芳", "--date", TODAY.isoformat(), "--add", cid)
    assert added.code == 0, added
    plan = store.root / "visits" / "王芳" / f"{TODAY.isoformat()}.yaml"
    assert plan.is_file()
    before = run_kehu(store, "report", "reps", "--json")
    assert before.code == 0, before
    plan.unlink()
    if kind == "fifo":
        os.mkfifo(plan)
    else:
        plan.mkdir()
    said = "is a FIFO (named pipe)" if kind == "fifo" else "is a folder"
    day = run_kehu(store, "visits", "plan", "--owner", "王芳", "--date", TODAY.isoformat())
    assert day.code == 1 and said in day.err, day
    reps = run_kehu(store, "report", "reps")
    assert reps.code == 1, reps
    assert f"{plan}:1: {said}" in reps.err, reps.err
    assert "Traceback" not in reps.err
