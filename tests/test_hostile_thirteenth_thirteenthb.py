"""The thirteenth outside round (B2, 2026-12-06), kinds 5 to 9: git merges, two processes at
once, exports, resource exhaustion and plugins. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, kehu

#: a process that opens the store's index at each word of the test, and says whether the file
#: it opened is still the index's file once every other process has opened it too
_OPENER = """
import sys
from kehu_core.store import Store
from kehu_core.index.connection import IndexConnection
store = Store.open(sys.argv[1])
while sys.stdin.readline() == "go\\n":
    index = IndexConnection(store)
    print("opened", flush=True)
    sys.stdin.readline()
    said = "replaced" if index.replaced() else "kept"
    index.close()
    print(said, flush=True)
"""


def _say(openers: list[subprocess.Popen[str]], word: str) -> list[str]:
    """Write ``word`` to every opener at once, then read each one's answer."""
    for opener in openers:
        assert opener.stdin is not None
        opener.stdin.write(word + "\n")
    for opener in openers:
        assert opener.stdin is not None
        opener.stdin.flush()
    answers = []
    for opener in openers:
        assert opener.stdout is not None
        answers.append(opener.stdout.readline().strip())
    return answers


def test_processes_making_the_index_at_one_moment_keep_one_file(tmp_path: Path) -> None:
    """Several processes opening a store that has no index at the same moment (a TUI, `kehu
    serve` and a command started together after `git clone`): each made an empty index,
    deleting the one another had just made, so a process went on reading and writing a deleted
    file until its next look (here 4 of 6 in the first round). The index is made under a lock
    of its folder, and a process that finds it half made waits for it
    (`index.schema.connect`)."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    index = path / ".kehu" / "index.sqlite"
    openers = [subprocess.Popen([sys.executable, "-c", _OPENER, str(path)], cwd=ROOT, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(6)]
    try:
        for _round in range(100):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{index}{suffix}").unlink(missing_ok=True)
            assert _say(openers, "go") == ["opened"] * len(openers)
            said = _say(openers, "look")
            assert said == ["kept"] * len(openers), (_round, said)
    finally:
        for opener in openers:
            opener.communicate("stop\n")
