"""The twenty-ninth round's race13 findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, kehu, kehu_subprocess

#: a process holding the index (`kehu serve`, the TUI): it opens it, is held (by the test, at a
#: profile hook: no sleep) the moment its connection is open, then, as kehu does before each
#: write of its own, follows the index's file if another process replaced it, and writes a note
_HOLDER = """
import sys
from kehu_core.store import Store
from kehu_core.index import schema
from kehu_core.index.connection import IndexConnection

def held(frame, event, arg):
    if event == "return" and frame.f_code is schema.connect.__code__:
        sys.setprofile(None)
        print("opened", flush=True)
        sys.stdin.readline()

store = Store.open(sys.argv[1])
sys.setprofile(held)
index = IndexConnection(store)
sys.setprofile(None)
index.follow_file()
index.keep("holder", "written")
print("written", flush=True)
sys.stdin.readline()
index.close()
"""


def test_a_rebuild_the_moment_another_process_opens_the_index_keeps_what_that_one_writes(tmp_path: Path) -> None:
    """`kehu reindex --rebuild` at the moment another process had opened the index but not yet
    noted which file it opened (the `kehu reindex --rebuild` test of the thirteenth round lost a
    write once in 500 rounds under load): that process noted the new file as its own while it
    read and wrote the deleted one, so it never followed the new one (`follow_file`), and what
    it wrote was in no index another process read. The file a connection reads is noted as it
    is opened, under the lock the index is replaced under (`index.schema.connect`)."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    assert kehu("customer", "list", store=path).code == 0  # the index made
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline() == "opened\n"
        rebuilt = kehu_subprocess("reindex", "--rebuild", store=path, cwd=ROOT, timeout=300)
        assert rebuilt.returncode == 0, rebuilt.stderr
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.stdout.readline() == "written\n"
        from kehu_core.index.connection import IndexConnection
        from kehu_core.store import Store

        index = IndexConnection(Store.open(path))
        try:
            assert index.kept("holder") == "written"
        finally:
            index.close()
    finally:
        holder.communicate("stop\n", timeout=300)
