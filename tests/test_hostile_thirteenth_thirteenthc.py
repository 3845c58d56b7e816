"""The thirteenth outside round (C, 2026-12-06), kinds 5 and 6: git merges between clones and
two kehu processes at once on one store. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, kehu
from .test_hostile_thirteenth_thirteenthb import _say  # every worker at once

#: a process that, at each "go", opens the store's index (a ``rebuild`` throws it away and opens
#: the new one, as `kehu reindex --rebuild` does) and writes a row of its own in it; at each
#: "look" it says whether the file it holds is still the index's file
_WORKER = """
import sys
from kehu_core.store import Store
from kehu_core.index.connection import IndexConnection
store, role, me = Store.open(sys.argv[1]), sys.argv[2], sys.argv[3]
rounds = 0
while sys.stdin.readline() == "go\\n":
    rounds += 1
    index = None
    try:
        index = IndexConnection(store)
        if role == "rebuild":
            index.delete()
            index = IndexConnection(store)
        index.db.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", ("kept:" + me, str(rounds)))
        said = "written"
    except Exception as exc:
        said = f"{type(exc).__name__}: {exc}"
    print(said, flush=True)
    sys.stdin.readline()
    print("replaced" if index is None or index.replaced() else "kept", flush=True)
    if index is not None:
        index.close()
"""


def test_a_rebuild_at_the_moment_another_process_makes_the_index_leaves_it_whole(tmp_path: Path) -> None:
    """`kehu reindex --rebuild` while other processes open a store that has no index yet (a TUI
    and `kehu serve` started after a clone, a script rebuilding): the rebuild deleted the index's
    file, log and shared memory outside the lock the index is made under, so it deleted the log
    of the index another process had just made and opened; that process, its file still the
    index's, ended in 'disk I/O error' or wrote where no other process read. The files are
    deleted under that lock (`index.files.delete`)."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    index = path / ".kehu" / "index.sqlite"
    roles = ["open"] * 4 + ["rebuild"] * 2
    workers = [subprocess.Popen([sys.executable, "-c", _WORKER, str(path), role, str(me)], cwd=ROOT,
                                text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
               for me, role in enumerate(roles)]
    try:
        for _round in range(1, 501):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{index}{suffix}").unlink(missing_ok=True)
            written = _say(workers, "go")
            looked = _say(workers, "look")
            db = sqlite3.connect(index)
            try:
                rows = dict(db.execute("SELECT key, value FROM meta WHERE key LIKE 'kept:%'").fetchall())
            finally:
                db.close()
            for me, (said, held) in enumerate(zip(written, looked, strict=True)):
                if held == "kept":  # its file is the index's: what it wrote is there
                    assert (said, rows.get(f"kept:{me}")) == ("written", str(_round)), (_round, roles[me])
    finally:
        for worker in workers:
            worker.communicate("stop\n")
