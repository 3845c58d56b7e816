"""The fourteenth outside round (E, 2026-12-06): what earlier helpers of the round found and
left. Each failed on the code before its fix. See docs/reliability.md, "The outside attacker's
variants"."""

from __future__ import annotations

from pathlib import Path

from .conftest import kehu
from .test_hostile_git import team  # noqa: F401 (a fixture)
from .test_team_merge import remote  # noqa: F401 (a fixture)


def test_one_merge_made_in_two_clones_on_two_days_names_the_merged_id_once(
        team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """The supervisor merges 甲's second profile into 甲 (`kehu customer merge 甲 甲2`) on Monday,
    a rep makes the same merge in their clone on Tuesday, before syncing. After both syncs
    `customer show` listed 甲2 twice under "Also known as" (git's merge of the profile joined
    the two clones' also_known lists, whose entries differ by the day). A merged id is named
    once, alike in both clones; `kehu check` is clean."""
    a, b, kept_id = team
    added = kehu("customer", "add", "--name", "甲某", "--phone", "13800138001", "--email", "jia@example.com",
                 store=a)
    assert added.code == 0, added.err
    other_id = added.out.strip()
    for clone in (a, b):
        assert kehu("sync", store=clone).code == 0
    assert kehu("--today", "2026-11-16", "customer", "merge", kept_id, other_id, store=a).code == 0
    assert kehu("--today", "2026-11-17", "customer", "merge", kept_id, other_id, store=b).code == 0
    for clone in (a, b, a):
        synced = kehu("sync", store=clone)
        assert synced.code == 0, synced.out + synced.err
    for clone in (a, b):
        known = kehu("customer", "show", kept_id, "--json", store=clone).json()["also_known"]
        assert [e["id"] for e in known] == [other_id], known
        assert known[0]["name"] == "甲某" and str(known[0]["merged"]) in ("2026-11-16", "2026-11-17"), known
        checked = kehu("check", store=clone)
        assert checked.code == 0, checked.out + checked.err
