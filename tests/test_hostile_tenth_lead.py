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
    assert f"sheet.csv:2: column B (birthday): birthday: {LATER} is after today" in imported.out + imported.err
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
