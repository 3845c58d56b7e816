"""Tenth round, the lead's finds (issue 16): rules that held at one door and not at another."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import TODAY, git, kehu
from .test_hostile import tree_hash
from .test_hostile_git import team  # noqa: F401 (a fixture)
from .test_hostile_limits import base, no_traceback, store  # noqa: F401 (fixtures)
from .test_hostile_values import edit_refused
from .test_serve import Server, serving, stalling_clients
from .test_team_merge import ok, remote  # noqa: F401 (remote: a fixture)

LATER = "2062-03-04"  # 1962 typed as 2062


def _profile(path: Path, cid: str) -> Path:
    return next((path / "customers").rglob(f"{cid}/customer.yaml"))


def test_no_door_writes_a_birthday_after_today(store: tuple[Path, str]) -> None:  # noqa: F811
    """A birthday after the store's day (a typo: 2062 for 1962) was taken by `customer add`,
    `customer set` and an import, and `kehu check` said ok, so the birthday greeting was
    planned for a person not yet born. Every door refuses it, naming the field's line."""
    path, cid = store
    before = tree_hash(path)
    added = kehu("customer", "add", "--name", "韩梅梅", "--birthday", LATER, store=path)
    changed = kehu("customer", "set", cid, f"birthday={LATER}", store=path)
    for result in (added, changed):
        no_traceback(result)
        assert result.code == 1, result
        assert f"birthday: {LATER} is after today ({TODAY.isoformat()})" in result.err, result.err
    assert tree_hash(path) == before
    sheet = path.parent / "sheet.csv"
    sheet.write_text(f"name,birthday\n韩梅梅,{LATER}\n王小明,1962-03-04\n", encoding="utf-8")
    imported = kehu("import", str(sheet), store=path)
    no_traceback(imported)
    assert imported.code == 1
    assert f"sheet.csv:2: birthday: {LATER} is after today" in imported.out + imported.err
    names = [c["name"] for c in kehu("customer", "list", "--json", store=path).json()]
    assert "王小明" in names and "韩梅梅" not in names
    # today itself is a birthday (a baby's file made on the day) and is taken
    assert kehu("customer", "set", cid, f"birthday={TODAY.isoformat()}", store=path).code == 0


def test_check_and_the_editor_name_a_birthday_after_today_written_by_hand(
        store: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    path, cid = store
    profile = _profile(path, cid)
    edited = edit_refused(path, cid, "import sys\np = sys.argv[1]\n"
                          f"open(p, 'a', encoding='utf-8').write('birthday: {LATER}\\n')\n", tmp_path, monkeypatch)
    assert f"birthday: {LATER} is after today" in edited.err, edited.err
    profile.write_text(profile.read_text(encoding="utf-8") + f"birthday: {LATER}\n", encoding="utf-8")
    line = profile.read_text(encoding="utf-8").splitlines().index(f"birthday: {LATER}") + 1
    checked = kehu("check", store=path)
    assert checked.code == 1
    assert f"{profile}:{line}: birthday: {LATER} is after today" in checked.out, checked.out
    # a problem the file already has does not block an unrelated change (check names it)
    assert kehu("customer", "set", cid, "title=店长", store=path).code == 0
    # on a later day (--today) the same birthday is fine
    assert kehu("--today", "2062-03-04", "check", store=path).code == 0


SEGMENTS = """segments:
  vip:
    tier: [钻石客户]
  champs:
    rfm: [champion]
  fine:
    tier: [Key customers]
    rfm: [冠军客户, champions]
"""


def test_check_names_a_segment_whose_tier_or_rfm_names_nothing(store: tuple[Path, str]) -> None:  # noqa: F811
    """A segment's `tier:` naming no tier of the store passed `kehu check` (only `segment show`
    refused it), and an `rfm:` naming no RFM segment (`champion` for Champions) passed both:
    `kehu send --segment` reached nobody, saying "0 customers". Both are named, with the line."""
    path, _cid = store
    config = path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + SEGMENTS, encoding="utf-8")
    lines = config.read_text(encoding="utf-8").splitlines()
    checked = kehu("check", store=path)
    no_traceback(checked)
    assert checked.code == 1
    tier_line = lines.index("    tier: [钻石客户]") + 1
    rfm_line = lines.index("    rfm: [champion]") + 1
    assert f"kehu.yaml:{tier_line}: segments.vip.tier: no tier '钻石客户'" in checked.out, checked.out
    assert f"kehu.yaml:{rfm_line}: segments.champs.rfm: no RFM segment 'champion'" in checked.out, checked.out
    assert "segments.fine" not in checked.out
    shown = kehu("segment", "show", "champs", store=path)
    no_traceback(shown)
    assert shown.code == 1 and "no RFM segment 'champion'; the RFM segments are: Champions" in shown.err, shown
    assert kehu("segment", "show", "fine", store=path).code == 0


# --- kehu serve: a body sent a byte at a time ---------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "tenth-lead") as running:
        yield running


def test_clients_sending_a_body_a_byte_at_a_time_do_not_hold_the_server(server: Server) -> None:
    """Once its headers were in, a request's body had no deadline (the socket's timeout is
    per read): six connections sending a card's body a byte a second, without logging in, held
    the server's four workers, and a rep's phone got no answer for as long as they went on. A
    body must now come within CLIENT_TIMEOUT and a second for each 64 KB of it; one that does
    not is refused (408), its connection cut, and nothing is stored."""
    from kehu_core.serve.server import CLIENT_TIMEOUT, MIN_BODY_RATE, WORKERS

    length = 100_000
    before = {c["id"] for c in kehu("customer", "list", "--json", store=server.root).json()}
    puts = [f"PUT /boss/contacts/slow{n}.vcf HTTP/1.1\r\nHost: x\r\nContent-Type: text/vcard\r\n"
            f"Content-Length: {length}\r\n\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:慢\r\n".encode()
            for n in range(WORKERS + 2)]
    deadline = CLIENT_TIMEOUT + length / MIN_BODY_RATE
    with stalling_clients(server, puts, b"x") as stalling:  # a byte a second
        start = time.monotonic()
        answer = server.session("boss").request("PROPFIND", server.book("boss"), headers={"Depth": "0"},
                                                timeout=deadline + 30)
        assert answer.status_code == 207
        assert time.monotonic() - start < deadline + 20
        stalling[0].settimeout(30)
        reply = stalling[0].recv(4096).decode("utf-8", "replace")
        assert reply == "" or reply.startswith("HTTP/1.0 408"), reply  # cut: an answer, or none
    assert {c["id"] for c in kehu("customer", "list", "--json", store=server.root).json()} == before


# --- git pull --rebase: the merge driver's sides ------------------------------------------------


def _pulled_both_ways(a: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Clone ``a`` pulled with `git pull --rebase` and, in a copy made first, with a merge."""
    merged = tmp_path / "a-merged"
    shutil.copytree(a, merged, symlinks=True)
    for clone, rebase in ((merged, "false"), (a, "true")):  # a conflict left for a person: exit 1
        subprocess.run(["git", "-c", f"pull.rebase={rebase}", "pull", "-q", "--no-edit"], cwd=clone,
                       capture_output=True, check=False)
    return a, merged


def test_git_pull_rebase_keeps_this_clones_edit_as_a_merge_does(
        team: tuple[Path, Path, str], tmp_path: Path) -> None:  # noqa: F811
    """Many set `pull.rebase = true`. A rebase hands git's merge driver the other clone's
    file as "ours" and this clone's commit as "theirs", the other way round from a merge: after
    `git pull --rebase` the colleague's 金卡 was the level kept, this clone's 钻石卡 only in
    `conflicts:`, labelled "theirs" — while `git pull` (a merge, and `kehu sync`) kept 钻石卡.
    Both now keep this clone's value and label it "ours"."""
    a, b, cid = team
    ok("customer", "set", cid, "level=金卡", store=b)
    git(b, "commit", "-qam", "b: 金卡")
    git(b, "push", "-q")
    ok("customer", "set", cid, "level=钻石卡", store=a)
    git(a, "commit", "-qam", "a: 钻石卡")
    rebased, merged = _pulled_both_ways(a, tmp_path)
    for clone in (rebased, merged):
        shown = kehu("customer", "show", cid, "--json", store=clone).json()
        assert shown["level"] == "钻石卡", clone
        assert [(c["ours"], c["theirs"]) for c in shown["conflicts"]] == [("钻石卡", "金卡")], clone
    assert _profile(rebased, cid).read_text(encoding="utf-8") == _profile(merged, cid).read_text(encoding="utf-8")


def test_git_pull_rebase_labels_a_line_conflict_as_a_merge_does(
        team: tuple[Path, Path, str], tmp_path: Path) -> None:  # noqa: F811
    """A profile kehu cannot read as YAML on one side is merged by git's lines, with markers
    where they collide: after `git pull --rebase` the block labelled `ours:customer.yaml` held
    the colleague's line. It holds this clone's, as after a merge."""
    a, b, cid = team
    for clone, level in ((b, "金卡"), (a, "钻石卡")):
        profile = _profile(clone, cid)
        profile.write_text(profile.read_text(encoding="utf-8") + f"level: {level}\nnote: [unclosed\n",
                           encoding="utf-8")
        git(clone, "commit", "-qam", f"{clone.name}: {level}")
        if clone is b:
            git(b, "push", "-q")
    rebased, merged = _pulled_both_ways(a, tmp_path)
    for clone in (rebased, merged):
        text = _profile(clone, cid).read_text(encoding="utf-8")
        ours = text.split("<<<<<<< ours:", 1)[1].split("=======", 1)[0]
        assert "level: 钻石卡" in ours and "金卡" not in ours, (clone, text)


@pytest.mark.parametrize("field", ["purchases", "interactions", "credit_status", "attitude", "locked"])
def test_a_profile_field_named_as_what_show_computes_is_refused(store: tuple[Path, str], field: str) -> None:  # noqa: F811
    """`customer set ID purchases=1` was stored: `customer show --json` put the customer's
    purchases under that name, hiding the field, while `kehu export` wrote "1" in a purchases
    column (two answers to one question, as a field named `tier` gave before the plugins
    refused it). Every door refuses such a field, and `check` names one written by hand."""
    path, cid = store
    before = tree_hash(path)
    refused = kehu("customer", "set", cid, f"{field}=1", store=path)
    no_traceback(refused)
    assert refused.code == 1 and f"{field}: kehu computes this value" in refused.err, refused.err
    assert tree_hash(path) == before
    profile = _profile(path, cid)
    profile.write_text(profile.read_text(encoding="utf-8") + f"{field}: 1\n", encoding="utf-8")
    line = len(profile.read_text(encoding="utf-8").splitlines())
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{profile}:{line}: {field}: kehu computes this value" in checked.out, checked.out


@pytest.mark.asyncio
async def test_the_tui_form_shows_a_birthday_after_today_under_the_field(demo_copy: Path) -> None:
    """The TUI's form checked the model alone: a birthday after today passed the form and the
    save's refusal came as a banner of `path:line:` text, in English whatever the language.
    It is now under the field, before anything is written, like a malformed date."""
    from kehu_tui.screens.edit import EditCustomerScreen

    from kehu_core.store import open_store

    from .test_tui import SIZE as size
    from .test_tui import make_app, saved_with, zhao_min_id

    cid = zhao_min_id(demo_copy)
    path = open_store(demo_copy).customer_file(cid)
    before = path.read_text(encoding="utf-8")
    app = make_app(demo_copy)
    async with app.run_test(size=size) as pilot:
        row = await saved_with(app, pilot, "birthday", LATER)
        assert isinstance(app.screen, EditCustomerScreen)  # not saved, still editing
        assert f"{LATER} is after today" in row.error, row.error
        assert row.has_class("invalid")
    assert path.read_text(encoding="utf-8") == before


# --- kind 9: a plugin's values named as the customer's own fields -------------------------------


def test_a_plugins_value_never_takes_the_place_of_a_profile_field(tmp_path: Path) -> None:
    """A plugin's `customer_values` returning `id`, `name` or `owner` replaced them in `customer
    show` (text and --json) and `customer list --json`: the listed id was another customer's,
    so a script acting on it changed someone else, and `list --owner 王芳` listed an owner of
    `nobody`. Such values are the plugin's failure, named; the profile is shown as it is."""
    import json

    from kehu_core import hookimpl
    from kehu_core.testing import add_customer, make_store, run_kehu

    class Clash:
        @hookimpl
        def customer_values(self, store: object, customer: object) -> dict[str, object]:  # noqa: F811
            return {"id": "c1other", "name": "假名", "owner": "nobody", "purchases": [], "rank": 1}

    shop = make_store(tmp_path / "store", plugins={"clash": Clash()})
    cid = add_customer(shop, name="赵敏", owner="王芳")
    for argv in (["customer", "show", cid, "--json"], ["customer", "list", "--owner", "王芳", "--json"]):
        result = run_kehu(shop, *argv)
        assert result.code == 0, result.err
        assert "plugin 'clash' failed in customer_values" in result.err, result.err
        assert "id, name, owner, purchases: named as kehu's own fields" in result.err, result.err
        data = json.loads(result.out)
        shown = data[0] if isinstance(data, list) else data
        assert (shown["id"], shown["name"], shown["owner"]) == (cid, "赵敏", "王芳"), shown
    text = run_kehu(shop, "customer", "show", cid)
    assert "赵敏" in text.out and "假名" not in text.out and "nobody" not in text.out


# --- kind 3: sales that can never be paid, or are due before they are made -----------------------


@pytest.mark.parametrize("sale", [["--amount", "0"], ["--item", "赠品", "--price", "0", "--credit"]],
                         ids=["amount-0", "free-item-on-credit"])
def test_a_sale_of_nothing_owes_nothing(store: tuple[Path, str], sale: list[str]) -> None:  # noqa: F811
    """`purchase add --amount 0` (or a free item on credit) was recorded unpaid: it stood in
    `receivables` and the credit report for ever, as `purchase pay` takes no payment of ¥0.
    A sale of nothing is settled as it is made, and so is one written so by hand."""
    path, cid = store
    added = kehu("purchase", "add", cid, "--date", "2026-11-01", *sale, store=path)
    assert added.code == 0, added.err
    assert "recorded paid" in added.out + added.err
    owed = kehu("report", "receivables", "--json", store=path).json()
    assert owed["total"] in ("0.00", 0, "0"), owed
    record = next((path / "customers").rglob("interactions/*.yaml"))
    assert "paid: true" in record.read_text(encoding="utf-8")
    record.write_text(record.read_text(encoding="utf-8").replace("paid: true", "paid: false"), encoding="utf-8")
    assert kehu("check", store=path).code == 0
    assert kehu("report", "receivables", "--json", store=path).json()["total"] in ("0.00", 0, "0")


def test_no_sale_is_due_before_it_is_made(store: tuple[Path, str]) -> None:  # noqa: F811
    """`purchase add --date 2026-11-10 --due 2026-11-01` was recorded, the sale overdue the
    day it was made; a hand edit so passed `check`. Both are refused, naming the field."""
    path, cid = store
    before = tree_hash(path)
    refused = kehu("purchase", "add", cid, "--date", "2026-11-10", "--item", "茶", "--price", "30",
                   "--due", "2026-11-01", store=path)
    no_traceback(refused)
    assert refused.code == 1 and "due: 2026-11-01 is before the purchase (2026-11-10)" in refused.err, refused.err
    assert tree_hash(path) == before
    assert kehu("purchase", "add", cid, "--date", "2026-11-10", "--item", "茶", "--price", "30",
                "--due", "2026-11-10", store=path).code == 0
    record = next((path / "customers").rglob("interactions/*.yaml"))
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("due: 2026-11-10", "due: 2026-11-09"), encoding="utf-8")
    line = text.splitlines().index("due: 2026-11-10") + 1
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{record}:{line}: due: 2026-11-09 is before the purchase" in checked.out, checked.out


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


def test_text_yaml_reads_as_a_number_says_to_quote_it(store: tuple[Path, str]) -> None:  # noqa: F811
    """`referrer: 00` written by hand was "referrer: Input should be a valid string": YAML read
    it as a number, and the message did not say so, nor how to keep it as typed."""
    path, cid = store
    profile = _profile(path, cid)
    profile.write_text(profile.read_text(encoding="utf-8") + "referrer: 00\n", encoding="utf-8")
    line = len(profile.read_text(encoding="utf-8").splitlines())
    checked = kehu("check", store=path)
    assert checked.code == 1
    assert (f"{profile}:{line}: referrer: expected text, and YAML reads this as a number: write it in quotes"
            in checked.out), checked.out


def test_an_import_of_a_file_the_system_cannot_read_names_it(store: tuple[Path, str]) -> None:  # noqa: F811
    """`kehu import /proc/self/mem` said "kehu: Input/output error", naming no file."""
    path, _cid = store
    if not Path("/proc/self/mem").exists():
        pytest.skip("no /proc/self/mem here")
    result = kehu("import", "/proc/self/mem", store=path)
    no_traceback(result)
    assert result.code == 1 and "/proc/self/mem: Input/output error" in result.err, result.err
