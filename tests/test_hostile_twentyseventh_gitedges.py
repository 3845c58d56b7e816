"""The twenty-seventh round's gitedges findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

from kehu_core.ids import shard

from .conftest import git, kehu
from .test_team_merge import ok, two_clones

# --- kind 5: a carriage return inside a colleague's ledger line, blamed on this clone ----------


def test_a_colleagues_carriage_return_in_a_ledger_is_said_to_be_theirs(tmp_path: Path) -> None:
    """A colleague's commit (plain git) writes two points entries on one line with a carriage
    return (CR) alone between them, while this clone redeems points of that customer: the sync
    refused the merge (rightly), but said "your changes and origin/master's cannot both stand
    ... Take yours back (`kehu undo`)", the rep told to undo a redemption that was fine: the
    line was read split at its CR, each half an entry of its own. It is the colleague's line."""
    a, b = two_clones(tmp_path)
    cid = ok("customer", "add", "--name", "张三", store=a).strip()
    ok("purchase", "add", cid, "--amount", "100", "--item", "茶", store=a)
    ok("sync", store=a)
    git(b, "pull", "-q")
    ledger = b / "customers" / shard(cid) / cid / "points.ledger.yaml"
    ledger.write_bytes(ledger.read_bytes() + b"- {id: zz1, date: 2026-11-03, delta: 7, reason: x}\r"
                                              b"- {id: zz2, date: 2026-11-03, delta: 9, reason: y}\n")
    git(b, "commit", "-qam", "by hand")
    git(b, "push", "-q")
    ok("points", "redeem", cid, "3", store=a)
    before = (a / "customers" / shard(cid) / cid / "points.ledger.yaml").read_bytes()
    synced = kehu("sync", store=a)
    assert synced.code == 1, synced.err
    assert "a carriage return (CR) inside this line" in synced.err, synced.err
    assert "kehu undo" not in synced.err and "cannot both stand" not in synced.err, synced.err
    assert "origin/master's files as they were pushed" in synced.err, synced.err
    assert (a / "customers" / shard(cid) / cid / "points.ledger.yaml").read_bytes() == before


# --- kinds 5, 6: a row of a name alone imported in two clones ------------------------------------


def test_a_row_of_a_name_alone_imported_in_two_clones_is_named_by_the_sync(tmp_path: Path) -> None:
    """The shop's sheet imported in two clones before a sync, rows of a name alone (a walk-in's,
    with a note): each customer twice, both syncs exit 0 without a word, `kehu duplicates` "0
    groups" — a row of a name and a sale was named, one of a name alone was not. The sync now
    names each such pair, and `kehu duplicates` lists them; two namesakes that differ (another
    note) are not named."""
    a, b = two_clones(tmp_path)
    sheet = tmp_path / "s.csv"
    sheet.write_text("name,notes\n王小明,walk-in\n赵六,\n", encoding="utf-8")
    for clone in (a, b):
        ok("import", str(sheet), store=clone)
    ok("customer", "add", "--name", "李四", "--note", "from the fair", store=a)
    ok("customer", "add", "--name", "李四", "--note", "a neighbour", store=b)
    ok("sync", store=a)
    synced = kehu("sync", store=b)
    assert synced.code == 0, synced.err
    listed = json.loads(ok("customer", "list", "--json", store=b))
    by_name = {name: sorted(c["id"] for c in listed if c["name"] == name) for name in ("王小明", "赵六", "李四")}
    assert all(len(ids) == 2 for ids in by_name.values()), listed
    for name in ("王小明", "赵六"):
        said = [line for line in synced.err.splitlines() if name in line]
        assert len(said) == 1 and all(cid in said[0] for cid in by_name[name]), synced.err
        assert "customer merge" in said[0], said
    assert "李四" not in synced.err, synced.err
    groups = json.loads(ok("duplicates", "--json", store=b))
    assert {tuple(g["customers"]) for g in groups} == {tuple(by_name["王小明"]), tuple(by_name["赵六"])}, groups


# --- kind 5: the comments of a visit plan written by hand -----------------------------------------


def test_visits_plan_add_keeps_the_comments_written_in_the_plan(store_path: Path) -> None:
    """A rep's plan of a day holds comments written by hand (`- ID  # call first`, a line of its
    own), one customer listed twice, each with a comment (two reps' lines joined by hand):
    `kehu visits plan --add` wrote the file anew, every comment lost. Each comment is kept, that
    of a second entry of one customer on the entry kept."""
    ids = [ok("customer", "add", "--name", name, "--owner", "王芳", store=store_path).strip()
           for name in ("甲", "乙", "丙")]
    plan = store_path / "visits" / "王芳" / "2026-11-21.yaml"
    plan.parent.mkdir(parents=True)
    plan.write_text(f"# kehu visits plan: the rep's changes to the day's visit list (docs/visits.md)\n"
                    f"owner: 王芳\ndate: 2026-11-21\n# 上午先去\nadd:\n- {ids[0]}  # call first\n"
                    f"# 下午\n- {ids[1]}\n- {ids[0]}  # bring the catalogue\n", encoding="utf-8")
    assert kehu("check", store=store_path).code == 0
    ok("visits", "plan", "--owner", "王芳", "--date", "2026-11-21", "--add", ids[2], store=store_path)
    text = plan.read_text(encoding="utf-8")
    for comment in ("# 上午先去", "# call first", "# 下午", "# bring the catalogue"):
        assert comment in text, text
    assert text.count(f"- {ids[0]}") == 1 and f"- {ids[2]}" in text, text
    assert text.count("# kehu visits plan") == 1, text
    shown = ok("visits", "plan", "--owner", "王芳", "--date", "2026-11-21", store=store_path)
    assert all(cid in shown for cid in ids), shown
    assert kehu("check", store=store_path).code == 0


# --- kind 5: a remote whose history was rewritten (a force-push) ---------------------------------


def force_push_taking_out_one(tmp_path: Path) -> tuple[Path, Path]:
    """Two clones; b adds 李四 and syncs, a syncs (holds it); b takes that commit out, adds 王五
    and force-pushes; a adds 赵六 (uncommitted)."""
    a, b = two_clones(tmp_path)
    ok("customer", "add", "--name", "李四", "--phone", "13900000001", store=b)
    ok("sync", store=b)
    ok("sync", store=a)
    git(b, "reset", "-q", "--hard", "HEAD~1")
    ok("customer", "add", "--name", "王五", "--phone", "13900000002", store=b)
    git(b, "add", "-A")
    git(b, "commit", "-qm", "王五")
    git(b, "push", "-q", "--force", "origin", "HEAD")
    ok("customer", "add", "--name", "赵六", "--phone", "13900000003", store=a)
    return a, b


def sync_stops_at_the_force_push(tmp_path: Path, a: Path) -> None:
    """`kehu sync` in ``a`` after :func:`force_push_taking_out_one`, twice: each time it stops
    (exit 1), says the rewrite and the commit it would push back, pushes nothing and leaves
    the clone as it was (赵六 still uncommitted)."""
    remote = git(tmp_path / "remote.git", "rev-parse", "HEAD")
    head = git(a, "rev-parse", "HEAD")
    for _again in range(2):
        synced = kehu("sync", store=a)
        assert synced.code == 1, synced.out + synced.err
        assert "origin/master was rewritten since this clone last synced" in synced.err, synced.err
        assert "李四: new customer" in synced.err, synced.err
        assert git(tmp_path / "remote.git", "rev-parse", "HEAD") == remote
        assert git(a, "rev-parse", "HEAD") == head
        assert git(a, "status", "--porcelain").startswith("?? customers/")  # 赵六, uncommitted as before
        assert any("赵六" in p.read_text(encoding="utf-8") for p in a.glob("customers/*/*/customer.yaml"))


def pushed_back(tmp_path: Path, a: Path) -> None:
    """`kehu sync --push-back` in ``a`` after :func:`force_push_taking_out_one`: the commit the
    force-push took out is merged back and pushed, with what either clone added."""
    ok("sync", "--push-back", store=a)
    names = {c["name"] for c in json.loads(ok("customer", "list", "--json", store=a))}
    assert names >= {"李四", "王五", "赵六"}, names
    assert "李四" in git(tmp_path / "remote.git", "log", "--format=%s", "-20")


def test_a_remote_rewritten_by_a_force_push_is_said_and_nothing_is_pushed_back(tmp_path: Path) -> None:
    """A colleague takes a commit out of the team's history and force-pushes (a wrong customer
    taken out, a host's undo of a push); this clone held that commit: its sync merged the
    rewritten branch with it and pushed it back, exit 0, without a word. Now the sync says the
    remote was rewritten, names the commit, pushes nothing and leaves the clone as it was — and
    again at the next sync; `kehu sync --push-back` (the rewrite a mistake) merges and pushes it
    back."""
    a, _b = force_push_taking_out_one(tmp_path)
    sync_stops_at_the_force_push(tmp_path, a)
    pushed_back(tmp_path, a)  # the person's answer: the rewrite was a mistake


# --- kind 5: one customer given a new id in each clone (rename/rename) ---------------------------


def test_one_customer_given_a_new_id_in_each_clone_becomes_one_customer(tmp_path: Path) -> None:
    """`kehu customer reid C X2` in one clone, `kehu customer reid C X1` in the other (then a
    sale of X1 and a tag there): git moved the customer's folder two ways and kehu's merge wrote
    a profile of both ids into both places; the sync said only "customers/…/X2/customer.yaml:1:
    id 'X1' does not match its folder 'X2'" (no `kehu:`, no way on), exit 1, at every sync of
    that clone, the team's work no longer shared. Now X1 and X2 are said to be one customer
    and X1 goes into X2 (the id shared first): one customer, both sales, each once, nothing
    said removed by hand, `check` ok in both clones."""
    a, b = two_clones(tmp_path)
    cid = ok("customer", "add", "--name", "张三", "--phone", "13800138000", store=a).strip()
    ok("purchase", "add", cid, "--amount", "100", "--item", "茶", store=a)
    ok("sync", store=a)
    ok("sync", store=b)
    ok("customer", "reid", cid, "X2", store=b)
    ok("sync", store=b)
    ok("customer", "reid", cid, "X1", store=a)
    ok("purchase", "add", "X1", "--amount", "50", "--item", "壶", store=a)
    ok("customer", "set", "X1", "tags=VIP", store=a)
    synced = kehu("sync", store=a)
    assert synced.code == 0, synced.out + synced.err
    assert "X1 and X2 are one customer" in synced.err and "by hand" not in synced.err, synced.err
    ok("sync", store=b)
    for clone in (a, b):
        listed = json.loads(ok("customer", "list", "--json", store=clone))
        assert [c["id"] for c in listed] == ["X2"], listed
        shown = json.loads(ok("customer", "show", "X2", "--json", store=clone))
        assert sorted(p["amount"] for p in shown["purchases"]) == ["100.00", "50.00"], shown["purchases"]
        assert "VIP" in shown["tags"], shown
        assert kehu("check", store=clone).code == 0
        assert "150" in ok("points", "X2", store=clone)


# --- kind 5: two ids differing only in case, one added in each clone ------------------------------


def test_two_ids_differing_in_case_added_in_two_clones_are_said_to_be_both_sides(tmp_path: Path) -> None:
    """`--id C0001` in one clone, `--id c0001` in the other (one folder on macOS and Windows):
    the sync refused the merge, rightly, but said "Nothing was changed in this clone ...; run
    `kehu sync` again" — which stops the same way at every try. It says now that the two
    clones' changes cannot both stand, with the way on (a new id), the clone as it was."""
    a, b = two_clones(tmp_path)
    ok("customer", "add", "--name", "乙", "--id", "c0001", "--phone", "13900000012", store=b)
    ok("sync", store=b)
    ok("customer", "add", "--name", "甲", "--id", "C0001", "--phone", "13900000011", store=a)
    head = git(a, "rev-parse", "HEAD")
    synced = kehu("sync", store=a)
    assert synced.code == 1, synced.err
    assert "cannot both stand" in synced.err and "run `kehu sync` again. The problems" not in synced.err, synced.err
    assert "differs only in case" in synced.err and "kehu customer reid" in synced.err, synced.err
    assert git(a, "rev-parse", "HEAD") == head and git(a, "status", "--porcelain").startswith("?? customers/")


# --- kind 5: a customer merged away here and deleted by hand there ------------------------------


def test_a_sale_kept_of_a_customer_merged_here_and_deleted_there_keeps_its_points(tmp_path: Path) -> None:
    """`kehu customer merge K X` here (X's sale and its points ledger moved to K, who had none)
    while the other clone deleted X by hand (`git rm -r`): the sync stopped on the sale, "keep
    it ... (the ledger entries naming it, such as its points, go with it)", but had already
    settled K's points ledger as one changed here and deleted there, taking out every entry the
    base held: the sale kept as it asked stood with 0 of its 100 points and no tier move,
    `check` ok. The moved ledgers are now asked about with the sale; kept, the points stay."""
    a, b = two_clones(tmp_path)
    cid = ok("customer", "add", "--name", "张三", "--phone", "13800138000", store=a).strip()
    ok("purchase", "add", cid, "--amount", "100", "--item", "茶", store=a)
    keep = ok("customer", "add", "--name", "张三三", "--phone", "13900000031", store=a).strip()
    ok("sync", store=a)
    git(b, "pull", "-q")
    git(b, "rm", "-rq", f"customers/{shard(cid)}/{cid}")
    git(b, "commit", "-qm", "by hand")
    git(b, "push", "-q")
    ok("customer", "merge", keep, cid, store=a)
    stopped = kehu("sync", store=a)
    assert stopped.code == 1, stopped.err
    assert "points.ledger.yaml" in stopped.err, stopped.err
    waiting = git(a, "diff", "--name-only", "--diff-filter=U").split()
    assert any(rel.endswith("points.ledger.yaml") for rel in waiting), waiting
    git(a, "add", *waiting)  # kept, as the sync says keeps it
    ok("sync", store=a)
    ok("sync", store=b)
    for clone in (a, b):
        assert "100 points" in ok("points", keep, store=clone)
        assert kehu("check", store=clone).code == 0
