"""Issue 16, kind 5 (git merges that lose or break data), with real clones and a bare remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kehu_core.services.merge_finishing import waiting
from kehu_core.store import Store
from kehu_core.yamlio import dump_roundtrip, load_roundtrip

from .conftest import git, kehu
from .test_team_merge import (  # noqa: F401 (remote: a fixture)
    credit_sale,
    first_clone,
    new_clone,
    ok,
    remote,
    sale_of_one_merged_away,
    sync,
)


def test_a_record_added_to_a_customer_the_other_clone_merged_away_is_said_as_such(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """Clone a merges 甲 into 乙 (`kehu customer merge`: 甲's folder moves whole) while clone b
    records a sale of 甲. Git's directory-rename detection puts b's new file under 乙 and stops.
    The words were "each clone moved the same record to a different place (one customer merged
    into two, say)": neither clone did that. Now `kehu check` and the TUI's notice say it is a
    record of 甲 added in the other clone, placed under 乙 by git; kept, nothing is lost. (The
    sync keeps it itself since the twenty-second round: here the merge is git's, by hand.)"""
    # the sync keeps such a record itself now (test_hostile_twentysecond_syncmsg.py): a merge by
    # hand stops on it, and `kehu check` and the TUI say it so
    a, b, x, y = sale_of_one_merged_away(tmp_path, remote)
    [rel] = git(a, "diff", "--name-only", "--diff-filter=U").split()
    assert f"/{y}/interactions/" in rel  # git put b's sale of 甲 under 乙
    said = f"a record of {x} added in the other clone, while this clone merged {x} into this customer"
    check = kehu("check", store=a)
    tui = [p.render() for p in waiting(Store.open(a, today=None))]
    for text in (check.out, "\n".join(tui)):
        assert said in text and f"git add {rel}" in text, text
        assert "moved the same record to a different place" not in text
    git(a, "add", rel)
    sync(a)
    sync(b)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        shown = kehu("customer", "show", y, "--json", store=clone).json()
        assert "碧螺春" in str(shown) and "龙井" in str(shown), shown


def test_a_void_pushed_first_then_merged_by_the_clone_that_took_a_payment_waits_for_a_person(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """Clone b voids a sale on credit and syncs first; clone a meanwhile took the whole amount
    for it and syncs after. The merge (in a, the payer's clone) kept both: the sale voided and
    paid in full, `kehu check` ok, and the sync pushed it. kehu's merge driver asked whether a
    side voided while the other paid only after it had merged the void into this side, so it saw
    a sale voided on both sides. Now it waits, unpushed, as when the voiding clone merges the
    payment: refund it, or take the void back."""
    a, b, cid, pid = credit_sale(tmp_path, remote)
    ok("purchase", "void", cid, pid, "--reason", "录错了", "--by", "李强", store=b)
    ok("purchase", "pay", cid, pid, "--date", "2026-11-10", "--by", "王芳", store=a)
    sync(b)
    pushed = git(remote, "rev-parse", "HEAD")
    result = kehu("sync", store=a)
    assert result.code == 1 and "Nothing was pushed" in result.err, result.err
    assert git(remote, "rev-parse", "HEAD") == pushed
    checked = kehu("check", store=a)
    assert checked.code == 1
    assert "while it was paid in the other (1000.00 2026-11-10 王芳)" in checked.out, checked.out
    # the sale stands: the void is taken back, and the clones agree again
    record = next(a.glob(f"customers/*/{cid}/interactions/{pid}.yaml"))
    text = record.read_text(encoding="utf-8")
    doc = load_roundtrip(record)
    del doc["voided"], doc["conflicts"]
    record.write_text(dump_roundtrip(doc, like=text), encoding="utf-8")
    assert kehu("check", store=a).code == 0
    sync(a)
    sync(b)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    held = next(b.glob(f"customers/*/{cid}/interactions/{pid}.yaml")).read_text(encoding="utf-8")
    assert "voided:" not in held and "paid: true" in held and "amount: 1000.00, by: 王芳}" in held, held


def test_a_sale_paid_after_its_void_by_a_merge_outside_kehus_driver_is_named_and_not_shared(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """A clone whose git merges kehu's records line by line (its own `info/attributes`, or a
    conflict of lines resolved keeping both sides) joins one clone's void of 2026-11-20 and the
    other's payment in full of 2026-11-21: the sale stood voided and paid, `kehu check` ok, and
    `kehu sync` pushed it. `kehu purchase pay` refuses to pay a voided sale; check holds the same
    rule: it names the payment made after the void and what to do, and nothing is shared."""
    a, b, cid, pid = credit_sale(tmp_path, remote, owner=None)
    ok("--today", "2026-11-20", "purchase", "void", cid, pid, "--reason", "退货", store=a)
    ok("--today", "2026-11-21", "purchase", "pay", cid, pid, store=b)
    sync(b)
    (a / ".git" / "info" / "attributes").write_text("*.yaml merge=text\n", encoding="utf-8")
    git(a, "commit", "-qam", "void")
    git(a, "fetch", "-q")
    stopped = subprocess.run(["git", "merge", "--no-edit", "@{u}"], cwd=a, capture_output=True, text=True)
    assert stopped.returncode == 1, stopped.stdout  # a conflict of lines
    record = next(a.glob(f"customers/*/{cid}/interactions/{pid}.yaml"))
    rel = record.relative_to(a).as_posix()
    # resolved by hand keeping both sides: the other clone's payment and this clone's void
    text = git(a, "show", f"MERGE_HEAD:{rel}") + "voided:\n  date: 2026-11-20\n  reason: 退货\n"
    record.write_text(text, encoding="utf-8")
    git(a, "commit", "-qam", "merged")
    assert "voided:" in text and "payments:" in text, text  # both kept by git
    pushed = git(remote, "rev-parse", "HEAD")
    checked = kehu("check", store=a)
    assert checked.code == 1, checked.out
    assert "voided on 2026-11-20, then paid 1000.00 on 2026-11-21, and a voided purchase cannot be paid" \
        in checked.out, checked.out
    refused = kehu("sync", store=a)
    assert refused.code == 1 and "Traceback" not in refused.err, refused.err
    assert git(remote, "rev-parse", "HEAD") == pushed
    # refunded: the payment goes; the sale is voided, owes nothing, and is shared
    doc = load_roundtrip(record)
    del doc["payments"]
    doc["paid"] = False
    record.write_text(dump_roundtrip(doc, like=text), encoding="utf-8")
    assert kehu("check", store=a).code == 0, kehu("check", store=a).out
    sync(a)
    assert git(remote, "rev-parse", "HEAD") != pushed
