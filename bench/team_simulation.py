"""The team simulation at a size of your choosing, with figures:
``python bench/team_simulation.py [--clones 20] [--customers 10000] [--rounds 50] [--edits 5]
[--until HH:MM] [--engine team_sim_more]``.

The engine is tests/team_sim.py (what tests/test_team_simulation.py runs at a small size). The
demo store is generated once and pushed to a bare remote; the first clone is made with ``git
clone`` and its index built, and the other clones are copies of it (a copy of a clone is a
clone: same remote, same commit; the copy keeps file times, so its index is still right): making
the store and twenty indexes was most of a big run's time. Then rounds: every clone at once, one
process each, makes ``--edits`` random realistic edits through the real ``kehu`` commands and
``kehu sync``. ``--until`` (UTC) starts no round after that time, so a shared machine's run
ends when it must, with the rounds it made. Then every clone syncs until none has anything new,
``kehu check`` runs in each, and every logged edit is counted in the store: nothing lost,
nothing doubled. Prints a line per step (wall and CPU time: the CPU of the clones' processes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

BASE = Path(os.environ.get("KEHU_BENCH_DIR", "/tmp/kehu-bench"))


def cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Clock:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), cpu()

    def lap(self, what: str) -> None:
        wall, used = time.perf_counter(), cpu()
        print(f"{dt.datetime.now(dt.UTC):%H:%M:%S} {what}: {wall - self.wall:.0f} s wall, "
              f"{used - self.cpu:.0f} s CPU", flush=True)
        self.wall, self.cpu = wall, used


def size(folder: Path) -> int:
    """Bytes on disk of a bare repository as pushed (loose objects and packs, no `git gc`)."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def main() -> None:
    import importlib

    from tests import team_sim

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clones", type=int, default=20)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--until", help="UTC HH:MM after which no round starts")
    parser.add_argument("--engine", choices=["team_sim", "team_sim_more", "team_sim_cross"], default="team_sim",
                        help="tests/team_sim_more.py: merges, new ids, deletions, sheets, hand edits too; "
                             "tests/team_sim_cross.py: those and two clones on one customer, undo")
    args = parser.parse_args()
    sim = importlib.import_module(f"tests.{args.engine}")
    for key, value in (("GIT_AUTHOR_NAME", "sim"), ("GIT_AUTHOR_EMAIL", "sim@example.com"),
                       ("GIT_COMMITTER_NAME", "sim"), ("GIT_COMMITTER_EMAIL", "sim@example.com")):
        os.environ.setdefault(key, value)
    stop = None
    if args.until:
        hour, minute = map(int, args.until.split(":"))
        stop = dt.datetime.now(dt.UTC).replace(hour=hour, minute=minute, second=0)
    work = BASE / f"sim-{args.clones}x{args.customers}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    clock = Clock()
    _, remote = team_sim.make_remote(work, args.customers, args.clones)
    at_start = size(remote)
    clock.lap(f"store of {args.customers:,} customers generated, committed, pushed ({at_start / 1e6:.1f} MB)")
    first = team_sim.make_clone(work, remote, 0)
    code, _, err = team_sim.kehu(first, "check")
    assert code == 0, err
    clock.lap("first clone made, its index built (kehu check)")
    paths = [first]
    for i in range(1, args.clones):
        path = work / f"clone{i}"
        subprocess.run(["cp", "-a", str(first), str(path)], check=True)
        paths.append(path)
    clock.lap(f"{args.clones - 1} more clones (copies of the first)")
    logs, failed, made = [], 0, 0
    for round_ in range(args.rounds):
        if stop and dt.datetime.now(dt.UTC) >= stop:
            print(f"stopped before round {round_ + 1}: it is past {args.until} UTC", flush=True)
            break
        results = team_sim.run_round(paths, round_, args.edits, seed=16, module=sim.__name__)
        for result in results:
            synced = result["sync"]
            assert synced["code"] == 0 or (synced["as_before"] and "kept changing" in synced["err"]), synced
            failed += synced["code"] != 0
        logs += results
        made += 1
        edits = sum(len(r["log"]) for r in results)
        clock.lap(f"round {round_ + 1}: {edits} edits, {len(results)} syncs, "
                  f"{failed} syncs left as they were so far")
    team_sim.settle(paths, most=6)
    clock.lap("settled (every clone synced until none had anything new)")
    heads = {team_sim.git(path, "rev-parse", "HEAD") for path in paths}
    assert len(heads) == 1, heads
    assert all(team_sim.git(path, "status", "--porcelain") == "" for path in paths)
    for path in paths:
        code, out, err = team_sim.kehu(path, "check")
        assert code == 0, (path, out[-2000:], err[-2000:])
    clock.lap(f"every clone at one commit, kehu check clean in all {len(paths)}")
    counted = sim.verify(paths[0], logs, args.customers)
    clock.lap("every edit counted in the store, once")
    pushed = size(remote)
    team_sim.git(remote, "gc", "-q")
    edits = sum(len(r["log"]) for r in logs)
    print(f"remote: {at_start / 1e6:.1f} MB at the start, {pushed / 1e6:.1f} MB as pushed, "
          f"{size(remote) / 1e6:.1f} MB after git gc: "
          f"{(pushed - at_start) / 1e6 / edits * 1000:.1f} MB per 1 000 edits as pushed, "
          f"{(size(remote) - at_start) / 1e6 / edits * 1000:.1f} MB after gc", flush=True)
    print(f"RESULT {args.clones} clones x {args.customers:,} customers x {made} rounds x "
          f"{args.edits} edits: {sum(counted.values())} edits ({dict(counted.most_common())}), "
          f"{len(logs)} concurrent syncs, {failed} left as they were (races lost 8 times), "
          "all edits found exactly once", flush=True)


if __name__ == "__main__":
    main()
