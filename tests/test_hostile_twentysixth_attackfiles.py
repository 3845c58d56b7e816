"""The twenty-sixth round's attacks of kinds 1-4 (issue 16) that the last round found and did not
fix: each test failed before its fix, with the message or the write the test names."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile_twentyfifth_attackfiles import Unreadable, _tree
from .test_hostile_twentyfourth_linkwrite import a_top_folder


@pytest.fixture
def unreadable() -> Iterator[Unreadable]:
    with a_top_folder("kehu-attackfiles26-") as top:
        yield Unreadable(top)


# --- kind 1: an unreadable folder or file a report reads ---------------------------------------

_DENIED = "cannot read: permission denied (check the file's owner and mode)"


@pytest.mark.parametrize("which", ["visits", "visits/王芳", "plan", ".kehu/journal", "entry"])
def test_an_unreadable_folder_or_file_a_report_reads_is_named_as_check_names_it(
        unreadable: Unreadable, which: str) -> None:
    """`kehu report reps` with `visits/` or `.kehu/journal` unreadable said the system's bare
    "…: Permission denied"; an unreadable journal entry was "not a journal entry kehu wrote …;
    remove it" (the user told to delete their undo history); and a rep's folder that could not
    be entered was no plans at all: the rep's planned visits counted 0 with exit 0."""
    store = unreadable.store
    assert kehu("visits", "plan", "--owner", "王芳", "--date", "2026-11-20", "--add", unreadable.cid,
                store=store).code == 0
    target = {"visits": store / "visits", "visits/王芳": store / "visits" / "王芳",
              "plan": store / "visits" / "王芳" / "2026-11-20.yaml", ".kehu/journal": store / ".kehu" / "journal",
              "entry": next((store / ".kehu" / "journal").glob("*.json"))}[which]
    before = _tree(store)
    os.chmod(target, 0)
    said = unreadable.kehu("report", "reps")
    text = said.stdout + said.stderr
    assert said.returncode == 1, text
    assert "Traceback" not in text and "remove it" not in text, text
    assert f"{target}:1: {_DENIED}" in said.stderr, text
    assert _tree(store) == before


# --- kind 4: a `kehu serve` killed while it writes a sync state ------------------------------

#: `kehu serve`, killed (SIGKILL: the OOM killer, a shutdown) as it puts a sync state it wrote
#: in its place, when KILL_AT_SYNC is set
_KILLED_SERVE = '''
import os, signal, sys
_replace = os.replace


def replace(src, dst, *args, **kw):
    if os.environ.get("KILL_AT_SYNC") and os.sep.join(["serve", "sync"]) in os.fspath(dst):
        os.kill(os.getpid(), signal.SIGKILL)
    return _replace(src, dst, *args, **kw)


os.replace = replace
sys.argv[0] = "kehu"
from kehu_core.__main__ import main
main()
'''


def test_a_serve_killed_while_it_writes_a_sync_state_leaves_nothing_once_it_runs_again(
        tmp_path: Path) -> None:
    """`kehu serve` killed (`kill -9`) while it wrote a phone's sync state left its temporary
    file in `.kehu/serve/sync/` for good, one more for each serve killed so. The next serve
    removes those of serves no longer running."""
    import requests

    from .test_serve import SYNC, free_port, make_store, password, wait_until_up

    root = tmp_path / "store"
    make_store(root)

    def serve(kill: bool) -> tuple[subprocess.Popen[str], str]:
        port = free_port()
        env = {**os.environ, "KEHU_TODAY": "2026-11-20", "LANGUAGE": "en", **({"KILL_AT_SYNC": "1"} if kill else {})}
        log = (tmp_path / "serve.log").open("w")
        process = subprocess.Popen([sys.executable, "-c", _KILLED_SERVE, "--store", str(root), "serve", "--port",
                                    str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}/"
        wait_until_up(url, process, tmp_path / "serve.log")
        return process, url

    def sync(url: str) -> requests.Response:
        return requests.request("REPORT", f"{url}boss/contacts/", data=SYNC.format(token="").encode(),
                                headers={"Depth": "1"}, auth=("boss", password("boss")), timeout=60)

    process, url = serve(kill=True)
    try:
        with contextlib.suppress(requests.RequestException):
            sync(url)
        assert process.wait(timeout=60) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    state = root / ".kehu" / "serve"
    assert [p for p in state.rglob("*") if p.name.endswith(".tmp")], "the kill left nothing to remove"
    process, url = serve(kill=False)
    try:
        assert sync(url).status_code == 207
        left = [str(p.relative_to(state)) for p in state.rglob("*") if p.name.endswith(".tmp")]
        assert left == [], left
    finally:
        process.terminate()
        process.wait(timeout=30)
