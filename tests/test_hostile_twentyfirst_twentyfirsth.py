"""Issue 16, kind 5 (git merges that lose or break data), with real clones and a bare remote."""

from __future__ import annotations

from pathlib import Path

from kehu_core.services.merge_finishing import waiting
from kehu_core.store import Store

from .conftest import git, kehu
from .test_team_merge import first_clone, new_clone, ok, remote, sync  # noqa: F401 (remote: a fixture)


def test_a_record_added_to_a_customer_the_other_clone_merged_away_is_said_as_such(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """Clone a merges 甲 into 乙 (`kehu customer merge`: 甲's folder moves whole) while clone b
    records a sale of 甲. Git's directory-rename detection puts b's new file under 乙 and stops.
    The words were "each clone moved the same record to a different place (one customer merged
    into two, say)": neither clone did that. Now sync, `kehu check` and the TUI's notice say it is
    a record of 甲 added in the other clone, placed under 乙 by git; kept, nothing is lost."""
    a = first_clone(tmp_path, remote)
    x = ok("customer", "add", "--name", "甲", "--phone", "13800138000", store=a).strip()
    y = ok("customer", "add", "--name", "乙", "--phone", "13800138001", store=a).strip()
    ok("purchase", "add", x, "--item", "龙井", "--price", "100", "--date", "2026-11-01", store=a)
    git(a, "push", "-q", "-u", "origin", "HEAD")
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    ok("customer", "merge", y, x, store=a)
    ok("purchase", "add", x, "--item", "碧螺春", "--price", "50", "--date", "2026-11-10", store=b)
    sync(b)
    stopped = kehu("sync", store=a)
    assert stopped.code == 1 and "Traceback" not in stopped.err, stopped.err
    [rel] = git(a, "diff", "--name-only", "--diff-filter=U").split()
    assert f"/{y}/interactions/" in rel  # git put b's sale of 甲 under 乙
    said = f"a record of {x} added in the other clone, while this clone merged {x} into this customer"
    check = kehu("check", store=a)
    tui = [p.render() for p in waiting(Store.open(a, today=None))]
    for text in (stopped.err, check.out, "\n".join(tui)):
        assert said in text and f"git add {rel}" in text, text
        assert "moved the same record to a different place" not in text
    git(a, "add", rel)
    sync(a)
    sync(b)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        shown = kehu("customer", "show", y, "--json", store=clone).json()
        assert "碧螺春" in str(shown) and "龙井" in str(shown), shown
