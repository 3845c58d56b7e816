"""A store that never loses data: concurrent writers, and saves killed with SIGKILL.

The fault-injection worker is this module run as a script (``python -m tests.test_reliability
STORE SEED COUNT JOURNAL``): it replays a fixed, seeded plan of saves (new customers, field
edits with long notes, purchases through the plugins, ledger lines) and writes ``B k`` before
and ``E k`` after each save to a journal. The test kills it at a random moment, then checks
that every file parses, `kehu check` passes, and the store is exactly the state after the
last finished save, or after the one in flight: every record old or new, never half.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
LEVELS = [None, "普通", "银卡", "金卡", "钻石卡"]
TAGS = ["VIP", "老客户", "茶友", "团购", "送礼"]
ITEMS = ["龙井茶礼盒", "碧螺春", "普洱", "紫砂壶", "白茶饼"]


# --- the plan, shared by the worker and the checker ----------------------------------------------


def plan(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    ops: list[dict[str, Any]] = []
    made: list[str] = []
    for k in range(count):
        if len(made) < 3 or rng.random() < 0.2:
            cid = f"r{len(made):04d}"
            made.append(cid)
            # long notes make each write take long enough for kills to land inside it
            ops.append({"op": "add", "id": cid, "name": f"客户{len(made)}",
                        "notes": f"{k}:" + "老客户喜欢明前龙井。" * rng.randint(10, 4000)})
            continue
        cid = rng.choice(made)
        roll = rng.random()
        if roll < 0.45:
            ops.append({"op": "set", "id": cid, "changes": {
                "level": rng.choice(LEVELS),
                "tags": rng.sample(TAGS, rng.randint(0, 3)),
                "notes": f"{k}:" + "回访记录。" * rng.randint(0, 6000),
            }})
        elif roll < 0.8:
            ops.append({"op": "purchase", "id": cid, "iid": f"2026-11-{rng.randint(1, 20):02d}-k{k:05d}",
                        "item": rng.choice(ITEMS), "price": rng.randint(10, 3000)})
        else:
            entry = {"date": "2026-11-20", "n": k, "delta": rng.randint(1, 99)}
            ops.append({"op": "ledger", "id": cid, "entry": entry})
    return ops


def apply(store: Any, op: dict[str, Any]) -> None:
    from kehu_core.models import Customer

    if op["op"] == "add":
        store.add_customer(Customer(id=op["id"], name=op["name"], notes=op["notes"]))
    elif op["op"] == "set":
        store.update_customer(op["id"], op["changes"])
    elif op["op"] == "purchase":
        store.add_interaction(op["id"], {
            "kind": "purchase", "id": op["iid"], "date": op["iid"][:10],
            "items": [{"name": op["item"], "qty": 1, "price": op["price"]}],
        })
    else:
        store.append_ledger(op["id"], "batch", op["entry"])


def expected(ops: list[dict[str, Any]], n: int) -> dict[str, Any]:
    """The store's content after the first ``n`` saves of the plan."""
    customers: dict[str, dict[str, Any]] = {}
    purchases: dict[str, tuple[str, str]] = {}
    ledgers: dict[str, list[int]] = {}
    for op in ops[:n]:
        cid = op["id"]
        if op["op"] == "add":
            customers[cid] = {"name": op["name"], "level": None, "tags": [], "notes": op["notes"]}
        elif op["op"] == "set":
            customers[cid].update(op["changes"])
        elif op["op"] == "purchase":
            purchases[f"{cid}/{op['iid']}"] = (op["item"], f"{op['price']}.00")
        else:
            ledgers.setdefault(cid, []).append(op["entry"]["n"])
    return {"customers": customers, "purchases": purchases, "ledgers": ledgers}


def actual(store: Any) -> dict[str, Any]:
    customers, purchases, ledgers = {}, {}, {}
    for cid in store.iter_customer_ids():
        c = store.get(cid)
        customers[cid] = {"name": c.name, "level": c.level, "tags": c.tags, "notes": c.notes}
        for i in store.interactions(cid):
            purchases[f"{cid}/{i.id}"] = (i.items[0].name, str(i.amount))
        entries = [e["n"] for e in store.ledger(cid, "batch")]
        if entries:
            ledgers[cid] = entries
    return {"customers": customers, "purchases": purchases, "ledgers": ledgers}


def worker(store_path: str, seed: int, count: int, journal: str) -> None:
    from kehu_core.store import open_store

    store = open_store(store_path)  # with the plugins: purchases also write their ledgers
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, b"ready\n")
    for k, op in enumerate(plan(seed, count)):
        os.write(fd, f"B {k}\n".encode())  # unbuffered: survives SIGKILL
        apply(store, op)
        os.write(fd, f"E {k}\n".encode())


# --- the fault injection --------------------------------------------------------------------------


@dataclass
class Stats:
    runs: int = 0
    killed_mid_batch: int = 0
    saves_done: int = 0
    in_flight_applied: int = 0
    in_flight_not_applied: int = 0
    temp_files_left: int = 0
    records_lost: int = 0
    notes: list[str] = field(default_factory=list)


def crash_once(tmp: Path, seed: int, stats: Stats, count: int = 400) -> None:
    from kehu_core.errors import RecordError
    from kehu_core.store import Store
    from kehu_core.yamlio import load_fast

    from .conftest import kehu

    store_path = tmp / f"store{seed}"
    Store.init(store_path, "crash test")
    journal = tmp / f"journal{seed}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.test_reliability", str(store_path), str(seed), str(count),
         str(journal)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    rng = random.Random(seed)
    try:
        while proc.poll() is None and b"B 0" not in _read(journal):
            time.sleep(0.005)  # waiting for the worker to start saving, not timing anything
        time.sleep(rng.uniform(0.0, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    stats.runs += 1
    if proc.returncode == -signal.SIGKILL:
        stats.killed_mid_batch += 1
    else:
        assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""

    lines = _read(journal).decode().split()
    begun = [int(x) for tag, x in zip(lines[1::2], lines[2::2], strict=False) if tag == "B"]
    ended = [int(x) for tag, x in zip(lines[1::2], lines[2::2], strict=False) if tag == "E"]
    done = len(ended)
    stats.saves_done += done

    # every record file parses (temp files of the killed write are dotfiles, ignored by all)
    for path in (store_path / "customers").rglob("*.yaml"):
        if path.name.startswith("."):
            continue
        try:
            load_fast(path)
        except Exception as exc:  # pragma: no cover - this is the failure we look for
            pytest.fail(f"{path} does not parse after a crash: {exc}")
    stats.temp_files_left += sum(1 for _ in (store_path / "customers").rglob(".*.tmp"))

    check = kehu("check", store=store_path)
    assert check.code == 0, f"seed {seed}: kehu check failed after a crash:\n{check.out}{check.err}"

    ops = plan(seed, count)
    try:
        state = actual(Store.open(store_path))
    except RecordError as exc:  # pragma: no cover
        pytest.fail(f"seed {seed}: a record cannot be read after a crash: {exc}")
    candidates = [expected(ops, done)]
    if len(begun) > done:
        candidates.append(expected(ops, done + 1))
    if state not in candidates:
        stats.records_lost += 1
        pytest.fail(f"seed {seed}: after {done} saves the store is neither old nor new: "
                    f"{_difference(state, candidates[-1])}")
    if len(candidates) == 2:
        if state == candidates[1]:
            stats.in_flight_applied += 1
        else:
            stats.in_flight_not_applied += 1

    # and the store is usable: the killed process's lock does not block the next writer
    if state["customers"]:
        cid = sorted(state["customers"])[0]
        assert kehu("customer", "set", cid, "level=金卡", store=store_path).code == 0


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def _difference(state: dict[str, Any], want: dict[str, Any]) -> str:
    for part in ("customers", "purchases", "ledgers"):
        for key in sorted(set(state[part]) | set(want[part])):
            if state[part].get(key) != want[part].get(key):
                return f"{part}[{key}]: {str(state[part].get(key))[:80]} != {str(want[part].get(key))[:80]}"
    return "?"


def _report(stats: Stats, name: str) -> None:
    line = json.dumps(stats.__dict__, ensure_ascii=False)
    print(f"\n{name}: {line}")
    out = os.environ.get("KEHU_RELIABILITY_REPORT")
    if out:
        with open(out, "a", encoding="utf-8") as handle:
            handle.write(f"{name}: {line}\n")


def test_saves_killed_at_random_moments_leave_every_record_old_or_new(tmp_path: Path) -> None:
    stats = Stats()
    for seed in (1, 2, 3):
        crash_once(tmp_path, seed, stats)
    _report(stats, "fault injection (default tier)")
    assert stats.records_lost == 0
    assert stats.killed_mid_batch >= 1


@pytest.mark.slow
def test_hundreds_of_killed_batches_lose_nothing(tmp_path: Path) -> None:
    stats = Stats()
    for seed in range(100, 220):
        crash_once(tmp_path, seed, stats)
    _report(stats, "fault injection (slow tier)")
    assert stats.records_lost == 0
    assert stats.killed_mid_batch >= 100


# --- two processes, one customer: the second writer is told, not overwritten ----------------------

WRITER = """
import pathlib, sys, time
from kehu_core.errors import ConflictError
from kehu_core.store import Store
store = Store.open(sys.argv[1])
cid, level, ready, go = sys.argv[2], sys.argv[3], pathlib.Path(sys.argv[4]), pathlib.Path(sys.argv[5])
version = store.file_version(cid)          # the writer opens the record ...
ready.touch()
while not go.exists():                      # ... and both save at the same moment
    time.sleep(0.002)
try:
    store.update_customer(cid, {"level": level}, expect_version=version)
except ConflictError as exc:
    print("conflict:", exc)
    sys.exit(3)
print("saved")
"""


def test_two_processes_saving_one_customer_never_lose_an_update(store_path: Path,
                                                                tmp_path: Path) -> None:
    from .conftest import kehu

    cid = kehu("customer", "add", "--name", "赵敏", "--level", "普通", store=store_path).out.strip()
    go = tmp_path / "go"
    procs = []
    for level in ("金卡", "银卡"):
        ready = tmp_path / f"ready-{level}"
        procs.append((level, ready, subprocess.Popen(
            [sys.executable, "-c", WRITER, str(store_path), cid, level, str(ready), str(go)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    for _, ready, proc in procs:
        while not ready.exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.005)
    go.touch()
    outcomes = {level: (proc.wait(), proc.stdout.read()) for level, _, proc in procs}  # type: ignore[union-attr]

    codes = sorted(code for code, _ in outcomes.values())
    assert codes == [0, 3], outcomes
    winner = next(level for level, (code, _) in outcomes.items() if code == 0)
    loser_message = next(out for code, out in outcomes.values() if code == 3)
    assert "was changed by someone else since you opened it" in loser_message
    from kehu_core.store import Store

    assert Store.open(store_path).get(cid).level == winner


if __name__ == "__main__":
    worker(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])


def _state_dirs(store_path: Path, times: int) -> set[Path]:
    from kehu_core.store import Store

    return {Store.open(store_path).state_dir for _ in range(times)}


def test_processes_opening_a_store_at_once_share_its_lock_folder(store_path: Path) -> None:
    # each opening probes that .kehu/ is writable; two probes racing on one shared file name
    # once sent a process to its fallback folder, with a lock file of its own: no lock at all
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(4) as pool:
        found = set().union(*pool.map(_state_dirs, [store_path] * 8, [300] * 8))
    assert found == {store_path / ".kehu"}
