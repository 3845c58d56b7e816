"""Two processes on one store at once (issue 16, kind 6): a write that starts while another
process deletes the customer it writes to. ``kehu interaction add`` asked whether the customer
exists before it took the store's lock; a ``kehu customer merge`` of that customer into another,
done meanwhile, deleted its folder, and the interaction was then written into a new folder
without a profile (and the command failed after writing it; `kehu check` then rejected the
store, and `kehu sync` shared nothing until someone deleted the file by hand). Real processes, the real lock:
the test holds the lock itself, sees the other process wait for it (its open lock file), does
the merge, lets go."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from kehu_core.services.customer_merge import merge_customers
from kehu_core.store import Store

from .conftest import kehu


def _waits_for_lock(proc: subprocess.Popen[str]) -> bool:
    """Whether ``proc`` sleeps in the lock's wait: the store's lock polls (filelock: a try, then
    a sleep of 50 ms), and a command sleeps nowhere else before it writes. Seen sleeping at each
    look for 0.3 s, several of the lock's rounds."""
    seen = 0
    while seen < 30:
        try:
            state = Path(f"/proc/{proc.pid}/wchan").read_text()
        except OSError:  # the process ended
            return False
        if "nanosleep" not in state:
            return False
        seen += 1
        time.sleep(0.01)
    return True


def _waiting_for_the_lock(path: Path, *argv: str) -> subprocess.Popen[str]:
    """kehu ``argv`` started on the store at ``path`` (whose lock the caller holds), once it
    waits for that lock."""
    proc = subprocess.Popen([sys.executable, "-m", "kehu_core", "--store", str(path), "--today", "2026-11-20",
                             *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not _waits_for_lock(proc):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the command never asked for the lock"
        time.sleep(0.01)
    return proc


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see the other process wait")
@pytest.mark.parametrize("argv", [
    ("interaction", "add", "{other}", "--kind", "note", "--date", "2026-11-09", "--text", "来电"),
    ("purchase", "add", "{other}", "--amount", "50", "--date", "2026-11-09"),
])
def test_a_write_waiting_while_its_customer_is_merged_away_writes_nothing(
        tmp_path: Path, argv: tuple[str, ...]) -> None:
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    keep = kehu("customer", "add", "--name", "赵敏", store=path).out.strip()
    other = kehu("customer", "add", "--name", "赵敏 (旧)", store=path).out.strip()
    assert kehu("purchase", "add", other, "--amount", "100", "--date", "2026-11-01", "--paid", store=path).code == 0
    store = Store.open(path)
    folder = store.customer_dir(other)
    with store.lock():
        proc = _waiting_for_the_lock(path, *(a.format(other=other) for a in argv))
        merge_customers(store, keep, other)  # under the lock the command waits for
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, (out, err)
    assert f"no customer with id {other!r}" in err and "Traceback" not in err
    assert not folder.exists()  # nothing written where the customer was
    check = kehu("check", store=path)
    assert check.code == 0, check.out


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see the other process wait")
@pytest.mark.parametrize("assignment", ["level=金卡", "tags+=常客"])
def test_two_sets_of_different_fields_at_one_moment_both_stand(tmp_path: Path, assignment: str) -> None:
    """A colleague changes the customer's owner while `customer set` is about to write another
    field: the set read the file before it took the lock, found it changed and refused ("changed
    by someone else", nothing lost but the edit). Now it reads under the lock: both stand."""
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "赵敏", "--tag", "老客户", store=path).out.strip()
    store = Store.open(path)
    with store.lock():
        proc = _waiting_for_the_lock(path, "customer", "set", cid, assignment)
        store.update_customer(cid, {"owner": "王芳"})  # the colleague's change, under the lock it waits for
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (out, err)
    shown = kehu("customer", "show", cid, "--json", store=path).json()
    assert shown["owner"] == "王芳"
    assert shown["level"] == "金卡" if assignment.startswith("level") else shown["tags"] == ["老客户", "常客"]
