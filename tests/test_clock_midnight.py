"""Time is data, also at midnight: on a fixed day (KEHU_TODAY, --today, ``today:``) the store's
moment is that day at one time of day in every process, so what one command does at 23:59:59
and the next at 00:00:01 (real time, faked with faketime) stays in order on that day. The team
simulation once failed here: a complaint received "at 23:59" was acknowledged "at 00:00" of the
same fixed day, i.e. before it arrived, and refused."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TODAY, faketime_env, libfaketime

pytestmark = pytest.mark.skipif(libfaketime() is None,
                                reason="libfaketime is not installed (Debian: apt-get install faketime)")


def kehu_at(moment: str, store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real kehu in its own process with the system clock standing at ``moment`` (local
    time; it does not move while the command runs, so 23:59:59 stays before midnight)."""
    return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), *args],
                          capture_output=True, text=True, timeout=120,
                          env=faketime_env(moment, FAKETIME_DONT_FAKE_MONOTONIC="1"))


@pytest.mark.parametrize("real_day", [TODAY, TODAY + dt.timedelta(days=13)],
                         ids=["fixed-day-is-the-real-day", "fixed-day-is-another-day"])
def test_a_complaint_received_before_real_midnight_is_acknowledged_after_it(
        store_path: Path, real_day: dt.date) -> None:
    before = kehu_at(f"{real_day} 23:59:59", store_path, "customer", "add", "--name", "张三")
    assert before.returncode == 0, before.stderr
    cid = before.stdout.strip()
    added = kehu_at(f"{real_day} 23:59:59", store_path, "interaction", "add", cid, "--kind",
                    "complaint", "--text", "茶叶受潮")
    assert added.returncode == 0, added.stderr
    complaint = added.stdout.strip().splitlines()[-1]
    after = kehu_at(f"{real_day + dt.timedelta(days=1)} 00:00:01", store_path,
                    "complaint", "ack", cid, complaint, "--text", "已致电")
    assert after.returncode == 0, after.stderr  # before: "... was received 2026-11-20 23:59"
    listed = kehu_at(f"{real_day} 00:00:01", store_path, "complaint", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (found,) = json.loads(listed.stdout)
    assert found["state"] == "acknowledged"
    assert found["date"] == TODAY.isoformat()
    # every moment of the fixed day is that day, at one time of day whatever the real hour
    assert found["received"].startswith(TODAY.isoformat())
    assert json.dumps(found, ensure_ascii=False).count(f"{TODAY.isoformat()}T12:00") >= 1, found


def test_moments_on_a_fixed_day_agree_across_processes_either_side_of_midnight(store_path: Path) -> None:
    stamps = []
    for moment in ("2026-11-20 23:59:59", "2026-11-21 00:00:01", "2026-11-21 13:30:00"):
        done = subprocess.run([sys.executable, "-c",
                               "from kehu_core.store import Store; import sys;"
                               "print(Store.open(sys.argv[1]).now().isoformat())", str(store_path)],
                              capture_output=True, text=True, timeout=120,
                              env=faketime_env(moment, FAKETIME_DONT_FAKE_MONOTONIC="1"))
        assert done.returncode == 0, done.stderr
        stamps.append(done.stdout.strip())
    assert len(set(stamps)) == 1, stamps
    assert stamps[0].startswith(f"{TODAY.isoformat()}T12:00:00"), stamps
