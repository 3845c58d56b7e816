"""The fifteenth outside round (B, 2026-12-06), kinds 5, 6 and 10: git merges between real clones
of one bare remote — through `kehu sync` and through git run by hand (`git pull`, a rebase) — and
processes writing at once. Each failed on the code before its fix. See docs/reliability.md, "The
outside attacker's variants"."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kehu_core.store import Store

from .conftest import git, kehu
from .test_team_merge import first_clone, ok, sync_in_turn, two_clones


def _git(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """git as a person runs it, its exit code kept (a merge stopped on a conflict is not 0)."""
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=False)


def _one_id_two_people(tmp_path: Path) -> tuple[Path, Path, str]:
    """Two reps each give C0001 to a different 张伟 (another phone), each with a sale; the first
    syncs, the second commits by hand. The clones and the profile's path."""
    a, b = two_clones(tmp_path)
    ok("customer", "add", "--id", "C0001", "--name", "张伟", "--phone", "13912345678", store=a)
    ok("purchase", "add", "C0001", "--item", "龙井", "--price", "100", store=a)
    ok("customer", "add", "--id", "C0001", "--name", "张伟", "--phone", "13800001111", store=b)
    ok("purchase", "add", "C0001", "--item", "普洱", "--price", "50", store=b)
    ok("sync", store=a)
    git(b, "add", "-A")
    git(b, "commit", "-q", "-m", "mine")
    return a, b, Store.open(b).rel(Store.open(b).customer_file("C0001"))


@pytest.mark.parametrize("how", [("pull", "--no-rebase"), ("pull", "--rebase")])
def test_one_id_given_to_two_people_is_not_joined_by_a_git_pull_run_by_hand(
        tmp_path: Path, how: tuple[str, ...]) -> None:
    """The same two 张伟 under C0001 as fourteenthb's test, the second rep running `git pull`
    (a merge or a rebase) instead of `kehu sync`: kehu's merge driver joined the two people —
    both phones, both sales under one customer, `check` ok. The driver leaves the profile
    unmerged; `kehu check` (and so the TUI) names both people and the way on, `kehu customer
    reid`, which gives this clone's 张伟 a new id with his sale; then both clones hold two 张伟."""
    a, b, rel = _one_id_two_people(tmp_path)
    pulled = _git(b, *how, "origin", "master")
    assert pulled.returncode != 0, pulled.stdout + pulled.stderr
    said = kehu("check", store=b)
    assert said.code == 1, said.out + said.err
    words = said.out + said.err
    assert rel in words and "+8613912345678" in words and "+8613800001111" in words, words
    assert "kehu customer reid C0001" in words and "Traceback" not in words, words
    assert "keep the right lines" not in words, words  # two people: no lines to choose
    finishing = kehu("sync", store=b)  # the merge as git left it: not finished as it stands
    assert finishing.code == 1 and "kehu customer reid C0001" in finishing.err, finishing.err
    _git(b, "rebase" if "--rebase" in how else "merge", "--abort")
    moved = ok("customer", "reid", "C0001", store=b).split()[-1]
    assert moved != "C0001"
    ok("sync", store=b)
    ok("sync", store=a)
    for clone in (a, b):
        listed = {c["id"]: c for c in kehu("customer", "list", "--json", store=clone).json()}
        assert set(listed) == {"C0001", moved}, listed
        phones = {cid: kehu("customer", "show", cid, "--json", store=clone).json()["phones"] for cid in listed}
        assert phones == {"C0001": ["+8613912345678"], moved: ["+8613800001111"]}, phones
        assert kehu("check", store=clone).code == 0


def test_a_customer_given_a_new_id_takes_its_records_and_references_and_leaves_the_others(
        tmp_path: Path) -> None:
    """`kehu customer reid` (there was no way to give a customer a new id but adding another
    and merging into it): this clone's C0001 moves with its sale and points, and the customer it
    referred follows it; the other clone's C0001 keeps its own referral, and no `also_known`
    names C0001 (they are not one customer)."""
    a, b = two_clones(tmp_path)
    ok("customer", "add", "--id", "C0001", "--name", "张伟", "--phone", "13912345678", store=a)
    ok("customer", "add", "--id", "W5", "--name", "王五", "--referrer", "C0001", store=a)
    ok("customer", "add", "--id", "C0001", "--name", "张伟", "--phone", "13800001111", store=b)
    ok("purchase", "add", "C0001", "--item", "普洱", "--price", "500", store=b)
    ok("customer", "add", "--id", "L4", "--name", "李四", "--referrer", "C0001", store=b)
    points = kehu("points", "C0001", "--json", store=b).json()
    ok("sync", store=a)
    assert kehu("sync", store=b).code == 1
    refused = kehu("customer", "reid", "C0001", "L4", store=b)
    assert refused.code == 1 and "L4" in refused.err and "Traceback" not in refused.err, refused.err
    moved = ok("customer", "reid", "C0001", "C0002", store=b).split()[-1]
    assert moved == "C0002"
    assert kehu("points", "C0002", "--json", store=b).json()["balance"] == points["balance"]
    ok("sync", store=b)
    ok("sync", store=a)
    for clone in (a, b):
        assert kehu("customer", "show", "L4", "--json", store=clone).json()["referrer"] == "C0002"
        assert kehu("customer", "show", "W5", "--json", store=clone).json()["referrer"] == "C0001"
        moved_one = kehu("customer", "show", "C0002", "--json", store=clone).json()
        assert moved_one["phones"] == ["+8613800001111"] and not moved_one.get("also_known"), moved_one
        assert [p["items"][0]["name"] for p in moved_one["purchases"]] == ["普洱"], moved_one
        assert kehu("check", store=clone).code == 0


@pytest.mark.parametrize("where", ["pre-push", "pre-receive"])
def test_a_push_a_hook_refuses_says_the_hooks_words_and_leaves_the_clone_as_it_was(
        tmp_path: Path, where: str) -> None:
    """A team's hook refuses the push of a sync: this clone's pre-push (a lint the team runs) or
    the remote's pre-receive (a protected branch on a git server). The sync said only "failed:
    error: failed to push some refs" and "run `kehu sync` again", which is refused the same way
    for ever: the hook's own words are said, the clone as it was."""
    a, b = two_clones(tmp_path)
    ok("customer", "add", "--id", "A1", "--name", "甲", store=a)
    ok("sync", store=a)
    ok("customer", "add", "--id", "B1", "--name", "乙", store=b)
    hooks = (b / ".git" / "hooks") if where == "pre-push" else (tmp_path / "remote.git" / "hooks")
    hook = hooks / where
    hook.write_text("#!/bin/sh\necho 'You are not allowed to push code to protected branches.' >&2\nexit 1\n")
    hook.chmod(0o755)
    head = git(b, "rev-parse", "HEAD")
    refused = kehu("sync", store=b)
    assert refused.code == 1, refused.err
    assert "not allowed to push code to protected branches" in refused.err, refused.err
    assert "Traceback" not in refused.err
    assert git(b, "rev-parse", "HEAD") == head and "customers/" in git(b, "status", "--porcelain")
    hook.unlink()
    ok("sync", store=b)
    ok("sync", store=a)
    assert {c["id"] for c in kehu("customer", "list", "--json", store=a).json()} == {"A1", "B1"}


@pytest.mark.parametrize("first", ["renamer", "editor"])
def test_records_and_references_written_meanwhile_follow_a_customer_given_a_new_id(
        tmp_path: Path, first: str) -> None:
    """One clone gives a shared customer a new id (`kehu customer reid C0001 C0002`) and syncs,
    while the other records a sale of C0001, tags it and records that C0001 referred 李四. Git
    moved the sale (and its ledgers) into C0002's folder and stopped on each, "each clone moved
    the same record to a different place (one customer merged into two, say)"; and 李四's
    referrer named C0001, gone ("referrer: no such customer" at every sync). The sale is
    C0002's, 李四 is referred by C0002, the tag is on C0002's profile, one commit each, in both
    clones, `check` clean; whichever clone syncs first."""
    a, b = two_clones(tmp_path)
    ok("customer", "add", "--id", "C0001", "--name", "张伟", "--phone", "13912345678", store=a)
    ok("sync", store=a)
    ok("sync", store=b)
    ok("customer", "reid", "C0001", "C0002", store=a)
    ok("purchase", "add", "C0001", "--item", "普洱", "--price", "500", store=b)
    ok("customer", "set", "C0001", "tags+=vip", store=b)
    ok("customer", "add", "--id", "L4", "--name", "李四", "--referrer", "C0001", store=b)
    one, two = (a, b) if first == "renamer" else (b, a)
    sync_in_turn(one, two)
    for clone in (a, b):
        ids = {c["id"] for c in kehu("customer", "list", "--json", store=clone).json()}
        assert ids == {"C0002", "L4"}, ids
        shown = kehu("customer", "show", "C0002", "--json", store=clone).json()
        assert [p["items"][0]["name"] for p in shown["purchases"]] == ["普洱"] and "vip" in shown["tags"], shown
        assert kehu("points", "C0002", "--json", store=clone).json()["balance"] > 0
        assert kehu("customer", "show", "L4", "--json", store=clone).json()["referrer"] == "C0002"
        assert kehu("check", store=clone).code == 0


def test_a_pull_that_rebases_follows_a_customer_merged_away_meanwhile(tmp_path: Path) -> None:
    """fourteenthb's hand merge, in a clone set to rebase (`pull.rebase = true`, `rebase.autoStash
    = true`, a habit of many developers): the supervisor merges 甲 into 乙 while the rep records
    that 甲 referred 张三 and a sale of 甲, commits, and runs `git pull` (a rebase, no merge commit;
    an uncommitted note stashed and put back). The sync found 张三's referrer and the sale naming a
    customer no longer there and refused it at every try ("referrer: no such customer", "interaction
    of a customer that has no customer.yaml"). They follow 甲 into 乙, as after a merge."""
    a, b = two_clones(tmp_path)
    for cid, name in (("JIA", "甲"), ("YI", "乙"), ("ZS", "张三")):
        ok("customer", "add", "--id", cid, "--name", name, store=a)
    ok("sync", store=a)
    ok("sync", store=b)
    ok("customer", "merge", "YI", "JIA", store=a)
    ok("sync", store=a)
    ok("customer", "set", "ZS", "referrer=JIA", store=b)
    ok("purchase", "add", "JIA", "--item", "普洱", "--price", "500", store=b)
    git(b, "config", "pull.rebase", "true")
    git(b, "config", "rebase.autoStash", "true")
    git(b, "add", "-A")
    git(b, "commit", "-q", "-m", "mine")
    ok("customer", "set", "YI", "notes=来电", store=b)  # uncommitted: stashed by git's rebase
    pulled = _git(b, "pull")
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    synced = kehu("sync", store=b)
    assert synced.code == 0, synced.err
    ok("sync", store=a)
    for clone in (a, b):
        assert {c["id"] for c in kehu("customer", "list", "--json", store=clone).json()} == {"YI", "ZS"}
        assert kehu("customer", "show", "ZS", "--json", store=clone).json()["referrer"] == "YI"
        kept = kehu("customer", "show", "YI", "--json", store=clone).json()
        assert [p["items"][0]["name"] for p in kept["purchases"]] == ["普洱"] and kept["notes"] == "来电", kept
        assert kehu("check", store=clone).code == 0


@pytest.mark.parametrize("style", ["merge", "zdiff3"])
def test_a_pull_in_a_clone_made_by_hand_is_merged_again_by_field(tmp_path: Path, style: str) -> None:
    """A rep clones the store with plain `git clone` (no `kehu git-setup`: git knows no `kehu`
    merge driver, and merges by line), adds a tag and takes a payment, while the other clone adds
    another tag and another payment; the rep runs `git pull` (`merge.conflictStyle` as set). Git
    left conflict markers in the profile and the purchase, and `kehu sync` said "still has git
    conflict markers; keep the right lines", YAML to edit by hand. The sync, which sets the driver
    up, merges them again field by field: both tags, both payments, in both clones."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    a = first_clone(tmp_path, remote)
    ok("customer", "add", "--id", "C1", "--name", "张伟", "--tag", "a", store=a)
    pid = ok("purchase", "add", "C1", "--item", "茶", "--price", "10", store=a).split()[-1]
    ok("sync", store=a)
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(b))  # by hand: no kehu git-setup
    git(b, "config", "merge.conflictStyle", style)
    ok("customer", "set", "C1", "tags+=x", store=a)
    ok("purchase", "pay", "C1", pid, "--amount", "5", store=a)
    ok("sync", store=a)
    ok("customer", "set", "C1", "tags+=y", store=b)
    ok("purchase", "pay", "C1", pid, "--amount", "3", store=b)
    assert _git(b, "config", "--get", "merge.kehu.driver").stdout == ""
    git(b, "commit", "-q", "-am", "mine")
    pulled = _git(b, "pull", "--no-rebase", "origin", "master")
    assert pulled.returncode != 0 and "CONFLICT" in pulled.stdout, pulled.stdout + pulled.stderr
    synced = kehu("sync", store=b)
    assert synced.code == 0, synced.err
    ok("sync", store=a)
    for clone in (a, b):
        shown = kehu("customer", "show", "C1", "--json", store=clone).json()
        assert sorted(shown["tags"]) == ["a", "x", "y"], shown
        (sale,) = shown["purchases"]
        assert sorted(float(p["amount"]) for p in sale["payments"]) == [3.0, 5.0], sale
        assert kehu("check", store=clone).code == 0


def test_a_conflict_a_person_began_to_resolve_is_not_merged_again(tmp_path: Path) -> None:
    """The same pull; the rep has begun choosing the profile's lines (one side's tag deleted,
    the markers not yet): the sync does not merge that file again over the rep's work — it says
    the markers are still there, the file as the rep left it."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    a = first_clone(tmp_path, remote)
    ok("customer", "add", "--id", "C1", "--name", "张伟", "--tag", "a", store=a)
    ok("sync", store=a)
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(b))
    ok("customer", "set", "C1", "tags+=x", store=a)
    ok("sync", store=a)
    ok("customer", "set", "C1", "tags+=y", store=b)
    git(b, "commit", "-q", "-am", "mine")
    assert _git(b, "pull", "--no-rebase", "origin", "master").returncode != 0
    profile = Store.open(b).customer_file("C1")
    begun = profile.read_text(encoding="utf-8").replace("- y\n", "", 1)
    profile.write_text(begun, encoding="utf-8")
    stopped = kehu("sync", store=b)
    assert stopped.code == 1 and "conflict markers" in stopped.err, stopped.err
    assert profile.read_text(encoding="utf-8") == begun


def test_a_customer_given_a_new_id_here_and_deleted_there_is_said_to_be_so(tmp_path: Path) -> None:
    """A customer deleted in one clone (`git rm`, committed) while the other gives it a new id
    (`kehu customer reid C0001 C0002`): git stops on each file, and the sync, `check` and the TUI
    said each was "moved to this customer from C0001 by `kehu customer merge`", a command nobody
    ran, with "keep it as this customer's" of the customer's own profile. They say it was given a
    new id, and keeping its files keeps it under that id, in both clones."""
    a, b = two_clones(tmp_path)
    ok("customer", "add", "--id", "C0001", "--name", "张伟", store=a)
    ok("purchase", "add", "C0001", "--item", "茶", "--price", "10", store=a)
    ok("sync", store=a)
    ok("sync", store=b)
    folder = Store.open(a).customer_dir("C0001")
    git(a, "rm", "-rq", str(folder.relative_to(a)))
    git(a, "commit", "-qm", "delete C0001")
    ok("sync", store=a)
    ok("customer", "reid", "C0001", "C0002", store=b)
    stopped = kehu("sync", store=b)
    assert stopped.code == 1, stopped.err
    said = kehu("check", store=b)
    for words in (stopped.err, said.out + said.err):
        assert "kehu customer reid" in words and "kehu customer merge" not in words, words
    kept = [line.split("\t")[-1] for line in git(b, "ls-files", "-u").splitlines()]
    git(b, "add", "--", *sorted(set(kept)))
    ok("sync", store=b)
    ok("sync", store=a)
    for clone in (a, b):
        assert [c["id"] for c in kehu("customer", "list", "--json", store=clone).json()] == ["C0002"]
        assert kehu("check", store=clone).code == 0


def test_the_tui_shows_two_people_given_one_id_by_a_git_pull(tmp_path: Path) -> None:
    """The profile git's merge (a `git pull` by hand) left unmerged as two people given one id,
    as the TUI shows it at start: both people and the command to give one a new id."""
    import asyncio

    from kehu_core.testing import screen_text, tui, wait_until

    _a, b, _rel = _one_id_two_people(tmp_path)
    assert _git(b, "pull", "--no-rebase", "origin", "master").returncode != 0

    async def look() -> None:
        async with tui(Store.open(b)) as pilot:
            await wait_until(pilot, lambda: "A merge is waiting" in screen_text(pilot.app), timeout=30)
            text = " ".join(screen_text(pilot.app).replace("▌", " ").split())  # the notice's border
            assert "two different customers" in text and "+8613800001111" in text, text
            assert "kehu customer reid C0001" in text, text

    asyncio.run(look())


def test_one_days_visit_plan_made_in_both_clones_is_still_merged_by_a_git_pull(tmp_path: Path) -> None:
    """The merge driver's refusal of two customers given one id is a profile's only: a rep's plan
    of one day made in both clones (the supervisor adds a visit, the rep another: no common
    version of `visits/王芳/DAY.yaml`) is merged by a hand `git pull` as before, both visits kept."""
    a, b = two_clones(tmp_path)
    for cid, name in (("K1", "甲"), ("K2", "乙")):
        ok("customer", "add", "--id", cid, "--name", name, "--owner", "王芳", store=a)
    ok("sync", store=a)
    ok("sync", store=b)
    ok("visits", "plan", "--owner", "王芳", "--add", "K1", store=a)
    ok("sync", store=a)
    ok("visits", "plan", "--owner", "王芳", "--add", "K2", store=b)
    git(b, "add", "-A")
    git(b, "commit", "-q", "-m", "mine")
    pulled = _git(b, "pull", "--no-rebase", "origin", "master")
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    planned = kehu("visits", "plan", "--owner", "王芳", "--json", store=b).json()
    assert {"K1", "K2"} <= {v["id"] for v in planned["visits"]}, planned


def test_a_merge_a_person_finished_follows_a_customer_merged_away_meanwhile(tmp_path: Path) -> None:
    """fourteenthb's referral to a customer merged away meanwhile (甲 into 乙), in a sync that
    also stopped for a decision (钱 changed here, deleted there): the person keeps 钱 (`git add`)
    and runs `kehu sync`, which finished the merge and then refused it, "referrer 'JIA': no such
    customer", without saying why; only the sync after it followed the referral. The sync that
    finishes the merge follows it up as one git finished alone."""
    a, b = two_clones(tmp_path)
    for cid, name in (("JIA", "甲"), ("YI", "乙"), ("ZS", "张三"), ("Q", "钱")):
        ok("customer", "add", "--id", cid, "--name", name, store=a)
    ok("sync", store=a)
    ok("sync", store=b)
    ok("customer", "merge", "YI", "JIA", store=a)
    git(a, "rm", "-rq", str(Store.open(a).customer_dir("Q").relative_to(a)))
    git(a, "commit", "-qm", "钱 deleted")
    ok("sync", store=a)
    ok("customer", "set", "ZS", "referrer=JIA", store=b)
    ok("customer", "set", "Q", "level=金卡", store=b)
    assert kehu("sync", store=b).code == 1
    git(b, "add", str(Store.open(b).customer_file("Q").relative_to(b)))
    finished = kehu("sync", store=b)
    assert finished.code == 0, finished.err
    ok("sync", store=a)
    for clone in (a, b):
        assert kehu("customer", "show", "ZS", "--json", store=clone).json()["referrer"] == "YI"
        assert kehu("customer", "show", "Q", "--json", store=clone).json()["level"] == "金卡"
        assert kehu("check", store=clone).code == 0
