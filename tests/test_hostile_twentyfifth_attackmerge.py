"""The twenty-fifth round's outside check of kinds 5, 6, 7 and 9 (issue 16): new variants of
git merges, concurrent imports, exports and plugins, tried with real clones of a real bare
remote and the real commands. Each test failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

from kehu_core.ids import shard

from .conftest import git, kehu
from .test_hostile_git import team  # noqa: F401 (a fixture)
from .test_hostile_limits import no_traceback
from .test_team_merge import ok, remote  # noqa: F401 (remote: a fixture)


def test_a_colleagues_gitignore_leaving_out_some_customers_records_is_refused(
        team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """A colleague commits (plain git) a `.gitignore` into a customer's folder (`*.yaml`, then
    `!customer.yaml`), or a line `customers/<shard>/` into the store's own `.gitignore`: rules
    of some folders, which the probe of one file of each kind (`customers/ab/c1abc/…`) never
    met. `kehu sync` merged them with exit 0, and from then on every new note, sale or point of
    those customers stayed in this clone ("nothing new to commit", `kehu check` ok). Now the
    sync refuses such a `.gitignore` before the merge (among the records kehu writes none; the
    store's own is asked of each customer's folder the merge brings), the clone as it was; and
    a record file that git leaves out, however the rule came (a rule of days, `2027-*`), is a
    problem of `check` at the rule's line naming the file, so the sync commits nothing."""
    a, b, cid = team
    folder = f"customers/{shard(cid)}/{cid}"
    before = git(a, "rev-parse", "HEAD")
    (b / folder / ".gitignore").write_text("*.yaml\n!customer.yaml\n", encoding="utf-8")
    git(b, "add", "-f", f"{folder}/.gitignore")
    git(b, "commit", "-qm", "a folder's own ignores")
    git(b, "push", "-q")
    synced = kehu("sync", store=a)
    no_traceback(synced)
    assert synced.code == 1, synced.out + synced.err
    assert f"{folder}/.gitignore: a .gitignore among the records" in synced.err, synced.err
    assert git(a, "rev-parse", "HEAD") == before and not (a / folder / ".gitignore").exists()
    git(b, "revert", "--no-edit", "HEAD")
    (b / ".gitignore").write_text((b / ".gitignore").read_text(encoding="utf-8") + f"customers/{shard(cid)}/\n",
                                  encoding="utf-8")
    git(b, "commit", "-qam", "ignore a shard")
    git(b, "push", "-q")
    synced = kehu("sync", store=a)
    assert synced.code == 1, synced.out + synced.err
    assert f".gitignore: leaves out {folder}/customer.yaml" in synced.err, synced.err
    assert git(a, "rev-parse", "HEAD") == before
    # a rule no probe meets (a month), made in this clone: named once the file is there
    (a / ".gitignore").write_text((a / ".gitignore").read_text(encoding="utf-8") + "2026-11-*\n",
                                  encoding="utf-8")
    assert kehu("check", store=a).code == 0
    note = ok("interaction", "add", cid, "--kind", "call", "--date", "2026-11-20", "--text", "来电", store=a).strip()
    checked = kehu("check", store=a)
    said = checked.out + checked.err
    assert checked.code == 1 and f".gitignore:3: 2026-11-*: git leaves out {folder}/interactions/{note}.yaml" in said
    synced = kehu("sync", store=a)
    assert synced.code == 1 and "2026-11-*: git leaves out" in synced.err, synced.err
    assert git(a, "rev-parse", "HEAD") == before
