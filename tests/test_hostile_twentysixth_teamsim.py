"""A ledger entry rewritten in one clone while the other clone added a line next to it (issue
16, kinds 5 and 10: the team simulation's refused syncs). `kehu customer merge KEEP OTHER` (and
`kehu customer reid`) rewrites the entries of other customers' ledgers naming OTHER, such as
the referrer's bonus for OTHER's first sale. When the referrer's ledger got a line in another
clone meanwhile (a sale of the referrer, a redemption), git's union merge of the two sides
kept the entry twice, as it was and as rewritten, under one id; the sync then made both name
KEEP, and refused: "entry … is here twice" blaming the remote's files, or a referral bonus
given twice, with a `kehu points void` to run although nobody gave anything twice. Now the
sync keeps the rewritten entry alone, says so, and pushes; both clones end alike, the bonus
there once, `kehu check` clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import git, kehu
from .test_team_merge import balance, first_clone, new_clone, ok, points_lines, remote, sync  # noqa: F401


@pytest.mark.parametrize("first", ["merging clone", "selling clone"])
@pytest.mark.parametrize("how", ["merge", "reid"])
def test_an_entry_renamed_in_one_clone_and_written_next_to_in_the_other_stays_once(
        tmp_path: Path, remote: Path, first: str, how: str) -> None:  # noqa: F811
    a = first_clone(tmp_path, remote)
    referrer = ok("customer", "add", "--name", "张三", store=a).strip()
    referred = ok("customer", "add", "--name", "李四", "--referrer", referrer, store=a).strip()
    kept = ok("customer", "add", "--name", "王五", store=a).strip()
    ok("purchase", "add", referred, "--item", "茶", "--price", "100", "--date", "2026-11-01", store=a)
    git(a, "push", "-q", "-u", "origin", "HEAD")
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    assert [line for line in points_lines(a, referrer) if "referral" in line], "the bonus was given"
    if how == "merge":  # the referrer's bonus for 李四 now names 王五
        ok("customer", "merge", kept, referred, store=a)
        now = kept
    else:
        now = ok("customer", "reid", referred, store=a).split()[-1]
    ok("purchase", "add", referrer, "--item", "壶", "--price", "300", "--date", "2026-11-03", store=b)
    one, two = (a, b) if first == "merging clone" else (b, a)
    sync(one)
    second = kehu("sync", store=two)
    assert second.code == 0, second.err
    sync(one)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    for clone in (a, b):
        checked = kehu("check", store=clone)
        assert checked.code == 0, checked.out + checked.err
        bonuses = [line for line in points_lines(clone, referrer) if "referral" in line]
        assert len(bonuses) == 1 and f"ref: {now}" in bonuses[0], bonuses
        assert balance(clone, referrer) == 100 + 300


def test_a_sale_without_its_points_paid_in_two_clones_is_named_for_what_happened(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """The refusal the team simulation met with its demo store: a referred customer's first
    sale recorded before the points plugin was on (no points, no bonus), a part of it paid in
    each of two clones. Each payment saves the sale, and the plugin gives what it had not
    earned: the sale's points and the referrer's bonus, in each clone. The second sync is
    rightly refused (both are there twice), but said "as two clones each recording that
    customer's first sale do", which neither did. Now it names the payments too, and doing
    what it says (`kehu points void`, `kehu sync`) leaves each given once."""
    a = first_clone(tmp_path, remote)
    referrer = ok("customer", "add", "--name", "张三", store=a).strip()
    referred = ok("customer", "add", "--name", "李四", "--referrer", referrer, store=a).strip()
    sale = ok("purchase", "add", referred, "--item", "茶", "--price", "100", "--date", "2026-11-01",
              "--due", "2026-12-01", store=a).strip().splitlines()[-1]
    for ledger in (a / "customers").glob("*/*/points.ledger.yaml"):  # from before the plugin was on
        ledger.unlink()
    git(a, "add", "-A")
    git(a, "commit", "-qm", "the shop's sales")
    git(a, "push", "-q", "-u", "origin", "HEAD")
    b = new_clone(tmp_path, remote, "b")
    for clone in (a, b):
        ok("purchase", "pay", referred, sale, "--amount", "1", "--date", "2026-11-20", store=clone)
    sync(a)
    refused = kehu("sync", store=b)
    assert refused.code == 1 and "Traceback" not in refused.err, refused.err
    assert refused.err.count("each taking a payment of a") == 2, refused.err
    for _round in range(2):
        named = refused.err.split("`kehu points void ")[1].split("`")[0]
        ok("points", "void", named, store=b)
        refused = kehu("sync", store=b)
    assert refused.code == 0, refused.err
    sync(a)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        assert len([line for line in points_lines(clone, referrer) if "referral" in line]) == 1
        assert len([line for line in points_lines(clone, referred) if "purchase" in line]) == 1
