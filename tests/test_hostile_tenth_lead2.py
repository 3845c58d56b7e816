"""Tenth round, the lead's finds (issue 16), continued: git, exports, the pyramid, messages."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import git, kehu
from .test_hostile import tree_hash
from .test_hostile_limits import base, no_traceback, store  # noqa: F401 (fixtures)
from .test_hostile_tenth_lead import _profile
from .test_team_merge import ok, remote  # noqa: F401 (remote: a fixture)

# --- kind 5: a ledger entry written over several lines ------------------------------------------


@pytest.mark.parametrize(("entry", "said"), [
    ("- date: 2026-11-01\n  reason: 手工调整\n  delta: 5\n", ":3: not a ledger entry"),
    ("- {date: 2026-11-01, reason: 手工调整,\n   delta: 5}\n", ":2: invalid YAML"),  # the line alone is cut short
], ids=["block", "flow"])
def test_a_ledger_entry_over_several_lines_is_named_by_every_reader(
        store: tuple[Path, str], entry: str, said: str) -> None:  # noqa: F811
    """An entry written over several lines by hand read fine to `check` and `kehu points`,
    while git's union merge, which merges ledgers line by line, cuts such an entry in two (and
    `customer merge` refused it). One entry a line is now every reader's rule: `check`,
    `points` and `customer merge` name its second line alike, and nothing is changed."""
    path, cid = store
    other = kehu("customer", "add", "--name", "韩梅梅", store=path).out.strip()
    folder = _profile(path, cid).parent
    ledger = folder / "points.ledger.yaml"
    ledger.write_text("# points ledger\n" + entry, encoding="utf-8")
    where = f"{ledger}{said}"
    checked = kehu("check", store=path)
    assert checked.code == 1 and where in checked.out, checked.out
    before = tree_hash(path)
    for argv in (["points", cid], ["customer", "merge", other, cid]):
        result = kehu(*argv, store=path)
        no_traceback(result)
        assert result.code == 1 and where in result.out + result.err, (argv, result.out, result.err)
    assert tree_hash(path) == before


def test_a_broken_line_a_colleague_pushed_into_a_ledger_both_changed_is_said_to_be_theirs(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """Both clones added to one customer's points ledger, and the colleague's push (by plain git)
    brought a line no reader takes. The sync said the two sides' changes "cannot both stand" and
    offered `kehu undo` of this clone's sale, which was fine and would not help. The problem's
    line is the colleague's alone, so the sync says it came with their files."""
    from .test_team_merge import customer_with_points

    a, b, cid = customer_with_points(tmp_path, remote)
    ok("purchase", "add", cid, "--item", "茶", "--price", "100", "--date", "2026-11-05", store=a)
    ok("purchase", "add", cid, "--item", "茶", "--price", "200", "--date", "2026-11-06", store=b)
    ledger = next((b / "customers").rglob(f"{cid}/points.ledger.yaml"))
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write("- date: 2026-11-07\n  reason: 手工\n  delta: 5\n")
    git(b, "add", "-A")
    git(b, "commit", "-qm", "b: by hand")
    git(b, "push", "-q")
    synced = kehu("sync", store=a)
    no_traceback(synced)
    assert synced.code == 1
    said = synced.out + synced.err
    assert "not in your changes" in said and "kehu undo" not in said, said
    assert "not a ledger entry" in said, said


# --- kind 4: exports to standard output and through links ---------------------------------------


def _export(store_path: Path, target: str, out: Path, mode: str = "w") -> subprocess.CompletedProcess[bytes]:
    """`kehu export --format csv TARGET` in its own process, its standard output sent to ``out``."""
    import sys

    with out.open(mode + "b") as handle:
        return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store_path), "export", "--format",
                               "csv", target], stdout=handle, stderr=subprocess.PIPE, check=False)


def test_an_export_through_a_link_to_standard_output_writes_into_it(store: tuple[Path, str], tmp_path: Path) -> None:  # noqa: F811
    """`/dev/stdout` is a link to `/proc/self/fd/1`. With the output sent to a file
    (`kehu export --format csv /dev/stdout > out.csv`) it named a regular file, so the export
    was written beside it and renamed over the link: `/dev/stdout` became a regular file for
    every program on the machine (as root), and out.csv stayed empty. A link is written
    through, as any program writes to it, and stays a link. (A link of the test's own stands
    in for /dev/stdout.)"""
    path, _cid = store
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    out = tmp_path / "out.csv"
    done = _export(path, str(link), out)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and str(link.readlink()) == "/proc/self/fd/1"
    assert "李雷" in out.read_text(encoding="utf-8-sig")


def test_an_export_to_dash_is_standard_output(store: tuple[Path, str], tmp_path: Path) -> None:  # noqa: F811
    """`kehu export --format csv -` wrote a file named "-" in the working folder (the store's,
    whose every file `kehu sync` commits and shares); `-` is standard output, as for every
    command-line tool, appended to when the shell appends."""
    path, _cid = store
    log = tmp_path / "log.csv"
    log.write_text("before\n", encoding="utf-8")
    done = _export(path, "-", log, mode="a")
    assert done.returncode == 0, done.stderr
    text = log.read_text(encoding="utf-8")
    assert text.startswith("before\n") and "李雷" in text
    assert not (Path.cwd() / "-").exists() and not (path / "-").exists()


def test_an_export_through_a_link_into_the_store_is_refused(store: tuple[Path, str], tmp_path: Path) -> None:  # noqa: F811
    """An export's target that is a link to a store's kehu.yaml is refused as the file itself
    is (links are written through now), and the link and the store are left as they were."""
    path, _cid = store
    link = tmp_path / "shop.csv"
    link.symlink_to(path / "kehu.yaml")
    before = tree_hash(path)
    refused = kehu("export", "--format", "csv", str(link), store=path)
    assert refused.code == 1 and "is inside the store's records" in refused.err, refused.err
    assert link.is_symlink() and tree_hash(path) == before


# --- kind 5: a colleague's commit as `customer log` reads it ------------------------------------


def test_customer_log_reads_any_subject_and_author_a_colleague_commits(tmp_path: Path) -> None:
    """`kehu customer log` split git's output at \\x1e and \\x1f: a colleague's commit whose subject
    or author holds one (git keeps any byte but NUL) ended it in "internal error: ValueError",
    for every customer that commit touched. Fields are now split at NUL, which git never keeps."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    cid = kehu("customer", "add", "--name", "李雷", store=path).out.strip()
    git(path, "add", "-A")
    git(path, "-c", "user.name=王\x1f芳", "-c", "user.email=w@x", "commit", "-qm", "改名\x1f\x1e完成")
    kehu("customer", "set", cid, "title=店长", store=path)
    git(path, "commit", "-qam", "second")
    shown = kehu("customer", "log", cid, store=path)
    no_traceback(shown)
    assert shown.code == 0, shown.err
    assert "second" in shown.out and "改名" in shown.out and "完成" in shown.out, shown.out
    assert shown.out.count("customer.yaml") >= 2, shown.out


# --- one truth: the pyramid's ties ----------------------------------------------------------------


def test_the_pyramid_puts_equal_revenue_in_one_tier_and_nobody_of_nothing_above_the_bottom(tmp_path: Path) -> None:
    """With three customers, one of whom bought, the two who never bought were put in two tiers
    (Regular and Small customers, by their ids); five customers of one ¥100 sale each were
    split across tiers the same way. Equal revenue is one tier, and ¥0 is the bottom tier."""
    import json

    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    ids = [kehu("customer", "add", "--name", name, store=path).out.strip() for name in "甲乙丙"]
    assert kehu("purchase", "add", ids[0], "--item", "茶", "--price", "100", "--paid", "--date", "2026-11-01",
                store=path).code == 0
    tiers = {c["id"]: c["tier"] for c in json.loads(kehu("customer", "list", "--json", store=path).out)}
    assert tiers[ids[1]] == tiers[ids[2]] == "小客户", tiers
    assert tiers[ids[0]] != "小客户"
    more = [kehu("customer", "add", "--name", f"客{n}", store=path).out.strip() for n in range(5)]
    for cid in [*ids[1:], *more]:
        assert kehu("purchase", "add", cid, "--item", "茶", "--price", "100", "--paid", "--date", "2026-11-02",
                    store=path).code == 0
    tiers = {c["id"]: c["tier"] for c in json.loads(kehu("customer", "list", "--json", store=path).out)}
    assert len(set(tiers.values())) == 1, tiers  # eight customers of ¥100 each: one tier


def test_an_export_in_the_stores_folder_says_sync_will_share_it(store: tuple[Path, str], tmp_path: Path) -> None:  # noqa: F811
    """`kehu export --format csv all.csv` run in the store's folder wrote all.csv beside the
    records, and the next `kehu sync` (which commits every file there) pushed it to every clone,
    without a word. The export says so; one outside the store says nothing of the kind."""
    path, _cid = store
    inside = kehu("export", "--format", "csv", str(path / "all.csv"), store=path)
    assert inside.code == 0, inside.err
    assert "is in the store's folder, and `kehu sync` shares every file there" in inside.err, inside.err
    outside = kehu("export", "--format", "csv", str(tmp_path / "all.csv"), store=path)
    assert outside.code == 0 and "kehu sync" not in outside.err, outside.err


# --- messages that say what to do ----------------------------------------------------------------


def test_an_import_of_a_file_the_system_cannot_read_names_it(store: tuple[Path, str]) -> None:  # noqa: F811
    """`kehu import /proc/self/mem` said "kehu: Input/output error", naming no file."""
    path, _cid = store
    if not Path("/proc/self/mem").exists():
        pytest.skip("no /proc/self/mem here")
    result = kehu("import", "/proc/self/mem", store=path)
    no_traceback(result)
    assert result.code == 1 and "/proc/self/mem: Input/output error" in result.err, result.err
