"""The seventeenth round (A, 2026-12-06), the last note's open items of issue 16, kinds 5 and 10:
git merges and sync. Each failed on the code before its fix. See docs/reliability.md, "The
outside attacker's variants"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import git, kehu
from .test_hostile_git import team  # noqa: F401 (team: a fixture)
from .test_team_merge import ok, remote, sync  # noqa: F401 (remote: a fixture)

# git's pre-merge-commit hook of clone a: the merge has written its files into the working tree
# and not yet committed; the hook kills kehu, git and itself at once (their process group, which
# the test started as a session of its own), as a power cut or the OOM killer would
KILL_GROUP = "#!/bin/sh\nkill -KILL 0\n"


def test_a_sync_killed_between_the_merge_and_its_commit_is_put_back_by_the_next(
        team: tuple[Path, Path, str], remote: Path) -> None:  # noqa: F811
    """Clone b gives 甲 a title and syncs; clone a records a sale of 甲, and its sync is killed
    after git's merge wrote b's title into a's working tree, before the merge commit (no merge
    in progress is left: git writes MERGE_HEAD after that hook). b then takes its title back
    (`kehu undo`) and syncs. a's next sync committed the title as a's own edit and pushed it:
    the change b undid came back in both clones. Now the next command finds the killed sync's
    marker, puts a back as it was before that sync (its sale uncommitted) and says so; the sync
    then merges, and both clones hold a's sale and no title."""
    a, b, cid = team
    ok("customer", "set", cid, "title=店长", store=b)
    sync(b)
    ok("purchase", "add", cid, "--item", "碧螺春", "--amount", "20", store=a)
    hook = a / ".git" / "hooks" / "pre-merge-commit"
    hook.write_text(KILL_GROUP, encoding="utf-8")
    hook.chmod(0o755)
    killed = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(a), "sync"],
                            capture_output=True, text=True, start_new_session=True, check=False)
    assert killed.returncode == -9, (killed.stdout, killed.stderr)  # killed at the hook
    hook.unlink()
    assert "店长" in next(a.glob("customers/*/*/customer.yaml")).read_text(encoding="utf-8")  # merged, uncommitted
    ok("undo", store=b)
    sync(b)
    again = kehu("sync", store=a)
    assert again.code == 0, again.err
    assert "interrupted" in again.err and "put back" in again.err, again.err
    sync(b)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        shown = json.loads(ok("customer", "show", cid, "--json", store=clone))
        assert shown.get("title") in (None, ""), shown
        assert [line["name"] for p in shown["purchases"] for line in p["items"]] == ["碧螺春"]
