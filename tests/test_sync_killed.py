"""`kehu sync` killed with SIGKILL (the OOM killer, a power cut, a laptop's battery) at each step
of its work: after its commit, after its merge, while it pushes. Nothing of Python runs after a
SIGKILL, so what is left is what git left. The next `kehu sync` must finish the work (exit 0),
and then both clones hold every edit of both, once, and `kehu check` is clean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import git, kehu
from .test_hostile_git import team  # noqa: F401 (team: a fixture)
from .test_team_merge import ok, remote, sync  # noqa: F401 (remote: a fixture)

# a line put first in a hook of clone a: git runs the hook, git's parent is kehu, and kehu is
# killed there, at that step of the sync (the hook goes on to do nothing more)
KILL_KEHU = 'kill -9 "$(ps -o ppid= -p "$PPID" | tr -d " ")"; exit 0\n'


def _purchases(store: Path, cid: str) -> list[str]:
    shown = json.loads(ok("customer", "show", cid, "--json", store=store))
    return sorted(line["name"] for p in shown["purchases"] for line in p["items"])


@pytest.mark.parametrize("hook", ["post-commit", "post-merge", "pre-push"])
def test_a_sync_killed_at_each_step_is_finished_by_the_next(
        hook: str, team: tuple[Path, Path, str], remote: Path) -> None:  # noqa: F811
    a, b, cid = team
    ok("purchase", "add", cid, "--item", "龙井", "--amount", "10", store=b)
    ok("customer", "set", cid, "title=店长", store=b)
    sync(b)
    ok("purchase", "add", cid, "--item", "碧螺春", "--amount", "20", store=a)
    ok("customer", "set", cid, "note=常客", store=a)
    path = a / ".git" / "hooks" / hook
    kept = path.read_text(encoding="utf-8") if path.exists() else "#!/bin/sh\n"
    first, _newline, rest = kept.partition("\n")
    path.write_text(f"{first}\n{KILL_KEHU}{rest}", encoding="utf-8")
    path.chmod(0o755)
    killed = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(a), "sync"],
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, (killed.stdout, killed.stderr)  # the hook's step was reached
    path.write_text(kept, encoding="utf-8")
    again = kehu("sync", store=a)
    assert again.code == 0, again.err
    sync(b)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        assert _purchases(clone, cid) == ["碧螺春", "龙井"]
        shown = json.loads(ok("customer", "show", cid, "--json", store=clone))
        assert (shown["title"], shown["note"]) == ("店长", "常客")
