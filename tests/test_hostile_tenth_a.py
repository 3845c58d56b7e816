"""Variants of issue 16's kinds 1 to 4 found by the tenth outside round (A, 2026-12-05): new doors
(complaints, visit plans, hidden records ...). Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from . import test_hostile_limits
from .conftest import kehu

# the fixtures of a store of one customer (李雷, owner 王芳), copied for each test
base, store = test_hostile_limits.base, test_hostile_limits.store
no_traceback = test_hostile_limits.no_traceback


def _complaint(path: Path, cid: str) -> Path:
    added = kehu("interaction", "add", cid, "--kind", "complaint", "--date", "2026-05-03", "--text", "茶叶受潮",
                 store=path)
    assert added.code == 0, added.err
    return next((path / "customers").glob(f"*/{cid}/interactions/*.yaml"))


_HISTORIES = {
    "before it was received": "status: resolved\nhistory:\n- {state: acknowledged, at: 2026-04-01T12:00}\n"
                              "- {state: resolved, at: 2026-04-02T12:00}\n",
    "a status behind its history": "status: acknowledged\nhistory:\n- {state: acknowledged, at: 2026-05-04T12:00}\n"
                                   "- {state: resolved, at: 2026-05-05T12:00}\n",
    "a move past the dates kehu keeps": "status: acknowledged\nhistory:\n"
                                        "- {state: acknowledged, at: 9999-12-31T23:59}\n",
}


@pytest.mark.parametrize("case", list(_HISTORIES))
def test_a_complaints_history_no_command_writes_is_found_by_check(store: tuple[Path, str], case: str) -> None:
    """`kehu complaint ack|resolve|close` refuses a move dated before the complaint was received,
    and a step back; a hand edit (or a colleague's clone) writing either passed `kehu check`,
    and `kehu report complaints` counted a complaint answered before it was received as
    handled "in time" in 0.0 h; a move dated 9999-12-31 made every later move refused ("cannot
    be dated before that")."""
    path, cid = store
    record = _complaint(path, cid)
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("status: open\n", "") + _HISTORIES[case], encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{record.name}:" in checked.out and "history" in checked.out, checked.out
    report = kehu("report", "complaints", "--json", store=path)
    no_traceback(report)
    assert report.json()["acknowledge"]["count"] == 0, report.out


def test_a_complaint_moved_by_kehu_or_by_two_clones_passes_check(store: tuple[Path, str]) -> None:
    """What the commands write stays valid: resolve of an open complaint writes two moves at
    one moment, close a third; and what a merge of two clones' moves makes (each acknowledged
    it, the later first) is no problem: the status says where the complaint is."""
    path, cid = store
    record = _complaint(path, cid)
    for verb in ("resolve", "close"):
        moved = kehu("complaint", verb, cid, record.stem, store=path)
        assert moved.code == 0, moved.err
    assert kehu("check", store=path).code == 0
    text = record.read_text(encoding="utf-8").split("status:")[0]
    record.write_text(text + "status: acknowledged\nhistory:\n- {state: acknowledged, at: 2026-05-05T12:00}\n"
                      "- {state: acknowledged, at: 2026-05-04T12:00}\n", encoding="utf-8")
    assert kehu("check", store=path).code == 0


def test_a_hidden_record_in_interactions_is_none_of_kehus_as_check_says(store: tuple[Path, str]) -> None:
    """A hidden ``interactions/.x.yaml`` (an editor's or a sync tool's copy): `kehu check` said
    ok (hidden regular files are none of kehu's business) while `customer show` failed on it
    with exit 1 ("invalid interaction id"), so the customer could not be shown at all."""
    path, cid = store
    record = _complaint(path, cid)
    (record.parent / f".{record.name}").write_text("kind: note\n", encoding="utf-8")
    assert kehu("check", store=path).code == 0
    shown = kehu("customer", "show", cid, "--json", store=path)
    assert shown.code == 0, shown.err
    assert [i["id"] for i in shown.json()["interactions"]] == [record.stem]


@pytest.mark.parametrize("where", ["visits", "visits/王芳"])
def test_a_visit_plan_is_never_written_or_read_through_a_link(
        store: tuple[Path, str], tmp_path: Path, where: str) -> None:
    """``visits/`` (or a rep's folder in it) a link out of the store, as a colleague's commit
    can make it: `kehu visits plan --add` wrote the rep's plan outside the store with exit 0,
    and read a plan from there."""
    path, cid = store
    outside = tmp_path / "outside"
    outside.mkdir()
    (path / where).parent.mkdir(parents=True, exist_ok=True)
    (path / where).symlink_to(outside, target_is_directory=True)
    edited = kehu("visits", "plan", "--owner", "王芳", "--date", "2026-06-01", "--add", cid, store=path)
    no_traceback(edited)
    assert edited.code == 1 and "symbolic link" in edited.err, edited.err
    assert list(outside.rglob("*")) == [] or where == "visits" and list(outside.rglob("*.yaml")) == []
    shown = kehu("visits", "plan", "--owner", "王芳", "--date", "2026-06-01", store=path)
    assert shown.code == 1 and "symbolic link" in shown.err, shown.err


@pytest.mark.parametrize("shape", ["fifo", "link", "folder"])
def test_a_plan_file_that_is_no_regular_file_is_one_message(
        store: tuple[Path, str], tmp_path: Path, shape: str) -> None:
    """A plan file that is a FIFO: `kehu visits plan --add` ended in "internal error:
    YamlFileError"; one that is a link: "invalid YAML: Problem(path=PosixPath(...), ...)"."""
    path, cid = store
    plan = path / "visits" / "王芳" / "2026-06-01.yaml"
    plan.parent.mkdir(parents=True)
    if shape == "fifo":
        os.mkfifo(plan)
    elif shape == "link":
        target = tmp_path / "elsewhere.yaml"
        target.write_text(f"add: [{cid}]\n", encoding="utf-8")
        plan.symlink_to(target)
    else:
        plan.mkdir()
    for extra in ([], ["--add", cid]):
        result = kehu("visits", "plan", "--owner", "王芳", "--date", "2026-06-01", *extra, store=path)
        no_traceback(result)
        assert result.code == 1 and "2026-06-01.yaml:1: " in result.err, result.err
        assert "Problem(" not in result.err and "invalid YAML" not in result.err, result.err
    assert plan.is_symlink() if shape == "link" else not plan.is_file()


@pytest.mark.parametrize("owner", ["王\n芳", "王\x1b[31m芳", "王\u202e芳", "王" * 65])
def test_a_reps_name_a_record_refuses_names_no_visit_plan_folder(store: tuple[Path, str], owner: str) -> None:
    """`kehu visits plan --owner` took a line break, an ESC or a direction control into the
    name of a folder of the store (which `kehu sync` shares), and up to 100 characters, where
    a customer's owner is one line of at most 64: a plan no rep of the store could own."""
    path, cid = store
    result = kehu("visits", "plan", "--owner", owner, "--date", "2026-06-01", "--add", cid, store=path)
    no_traceback(result)
    assert result.code in (1, 2) and "--owner" in result.err, result.err
    assert not (path / "visits").exists() or list((path / "visits").iterdir()) == []


@pytest.mark.parametrize("text", ["add: [\n", "add: ['../../x']\n", "add: 5\n", "- a\n"])
def test_a_visit_plan_that_does_not_read_is_found_by_check(store: tuple[Path, str], text: str) -> None:
    """A plan file `kehu visits plan` and `kehu report reps` refuse (no YAML, an id that is no
    id, a list where a mapping belongs): `kehu check` said ok, so `kehu sync` shared it."""
    path, _cid = store
    plan = path / "visits" / "王芳" / "2026-06-01.yaml"
    plan.parent.mkdir(parents=True)
    plan.write_text(text, encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and "visits/王芳/2026-06-01.yaml:" in checked.out, checked.out
    shown = kehu("visits", "plan", "--owner", "王芳", "--date", "2026-06-01", store=path)
    assert shown.code == 1 and "visits/王芳/2026-06-01.yaml:" in shown.err, shown.err


def test_a_reps_folder_no_rep_can_own_is_found_by_check(store: tuple[Path, str]) -> None:
    """A colleague's ``visits/王\\n芳/`` (made before `--owner` was held to a rep's name):
    `kehu check` said ok, and `kehu report reps` failed on it as if `--owner` had been typed."""
    path, cid = store
    plan = path / "visits" / "王\n芳" / "2026-06-01.yaml"
    plan.parent.mkdir(parents=True)
    plan.write_text(f"add: [{cid}]\n", encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and "visit plans" in checked.out and "a rep's name is one line" in checked.out, checked.out
    report = kehu("report", "reps", "--json", store=path)
    assert report.code == 0, report.err


def test_a_customer_merged_away_after_it_was_planned_leaves_the_plan_working(store: tuple[Path, str]) -> None:
    """A rep added a customer to a day's plan, then the customer was merged into another (or
    deleted in another clone): `kehu visits plan` failed for that rep and day ("no customer
    with id ..."), `--remove` of it too, and `kehu check` said ok. The plan now leaves it out
    and says so, and `--remove` takes it off. (A merge made here now names the kept customer in
    the plan: test_hostile_eleventh_left; a deletion in another clone still leaves it gone.)"""
    path, cid = store
    other = kehu("customer", "add", "--name", "李雷", "--phone", "13700137000", store=path).out.strip()
    planned = kehu("visits", "plan", "--owner", "王芳", "--date", "2026-06-01", "--add", other, store=path)
    assert planned.code == 0, planned.err
    shutil.rmtree(next((path / "customers").glob(f"*/{other}")))  # as a colleague's deletion arrives
    shown = kehu("visits", "plan", "--owner", "王芳", "--date", "2026-06-01", "--json", store=path)
    assert shown.code == 0 and shown.json()["gone"] == [other], shown.err
    text = kehu("visits", "plan", "--owner", "王芳", "--date", "2026-06-01", store=path)
    assert text.code == 0 and other in text.err and "left out" in text.err, text.err
    removed = kehu("visits", "plan", "--owner", "王芳", "--date", "2026-06-01", "--remove", other, store=path)
    assert removed.code == 0, removed.err
    assert kehu("visits", "plan", "--owner", "王芳", "--date", "2026-06-01", "--json", store=path).json()["gone"] == []


@pytest.mark.parametrize("over", ["{reason: '   ', limit: 50, outstanding: 70}",
                                  "{reason: \"\\u200b\", limit: 50, outstanding: 70}",
                                  "{reason: 老客户, limit: -50, outstanding: 70}",
                                  "{reason: 老客户, limit: 50, outstanding: -70}"])
def test_an_over_limit_mark_the_cli_refuses_is_found_by_check(store: tuple[Path, str], over: str) -> None:
    """`purchase add --over-limit "  "` is refused ("needs a reason"), and no door writes a
    negative limit or debt: a hand-edited ``over_limit`` of spaces, a zero-width space, a
    limit of -50 passed `kehu check`."""
    path, cid = store
    assert kehu("customer", "set", cid, "credit_limit=50", store=path).code == 0
    refused = kehu("purchase", "add", cid, "--item", "茶", "--amount", "100", "--credit", "--over-limit", "\u200b",
                   store=path)
    no_traceback(refused)
    assert refused.code in (1, 2) and "--over-limit" in refused.err, refused.err  # the argument named
    folder = next((path / "customers").glob(f"*/{cid}"))
    (folder / "interactions").mkdir(exist_ok=True)
    record = folder / "interactions" / "2026-05-01-overlimit.yaml"
    record.write_text("kind: purchase\ndate: 2026-05-01\nitems:\n- {name: 茶, qty: 1, price: 100}\npaid: false\n"
                      f"over_limit: {over}\n", encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{record.name}:6: over_limit." in checked.out, checked.out


def test_a_complaint_received_later_today_is_refused_as_a_later_day_is(store: tuple[Path, str]) -> None:
    """`interaction add --kind complaint --time 13:00` at noon was recorded, and then `kehu
    complaint ack|resolve` refused every move ("it cannot be acknowledged before that") for the
    rest of the day (always, on a day given by ``--today``, whose moment is midday). A time as
    ``9:5`` was written as typed, which a YAML 1.1 reader takes for the number 545."""
    path, cid = store
    later = kehu("interaction", "add", cid, "--kind", "complaint", "--text", "茶叶受潮", "--time", "13:00", store=path)
    no_traceback(later)
    assert later.code == 1 and "after now (12:00)" in later.err and "--allow-future" in later.err, later.err
    assert not list((path / "customers").glob(f"*/{cid}/interactions/*.yaml"))
    early = kehu("interaction", "add", cid, "--kind", "complaint", "--text", "茶叶受潮", "--time", "9:5", store=path)
    assert early.code == 0, early.err
    record = next((path / "customers").glob(f"*/{cid}/interactions/*.yaml"))
    assert "time: 09:05" in record.read_text(encoding="utf-8") or "time: '09:05'" in record.read_text(encoding="utf-8")
    assert kehu("complaint", "ack", cid, record.stem, store=path).code == 0


@pytest.mark.asyncio
async def test_a_complaint_recorded_in_the_tui_counts_from_when_it_was_received(store: tuple[Path, str]) -> None:
    """`interaction add --kind complaint` today records the time it was received, and the
    deadlines count from it; the TUI's form recorded none, so the same complaint counted as
    received at 23:59, with most of a day's more time to answer it. One rule in the store now."""
    from kehu_tui.screens.interaction import AddInteractionScreen
    from kehu_tui.widgets.forms.field import FormField

    from .conftest import TODAY
    from .test_tui import SIZE, make_app, wait_for

    path, cid = store
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        form = AddInteractionScreen(app.store, app.store.get(cid), "complaint", TODAY)
        app.push_screen(form)
        await wait_for(pilot, lambda: app.screen is form and bool(form.query("#row-text")), "the form")
        await pilot.pause()
        form.query_one("#row-text", FormField).value = "茶叶受潮"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is not form, "saved")
    assert kehu("interaction", "add", cid, "--kind", "complaint", "--text", "又受潮", store=path).code == 0
    listed = kehu("complaint", "list", "--json", store=path).json()
    assert [c["received"] for c in listed] == [f"{TODAY}T12:00"] * 2, listed


@pytest.mark.parametrize("typed", ["１３７００", "１３７ ００１３ ７０００", "+８６ １３７"])
def test_a_phone_typed_in_full_width_digits_is_found_as_it_was_stored(store: tuple[Path, str], typed: str) -> None:
    """A Chinese IME in full-width mode types ``１３７…``: `customer add --phone` took it (stored
    +86137…), and `kehu search` (the TUI's search box too) typed the same way found nothing."""
    path, _cid = store
    added = kehu("customer", "add", "--name", "全角", "--phone", "１３７００１３７０００", store=path)
    assert added.code == 0, added.err
    found = kehu("search", typed, "--json", store=path)
    assert found.code == 0 and [c["name"] for c in found.json()] == ["全角"], found.out + found.err


_LAYOUTS = {
    "lists indented unlike each other": "phones:\n- '+8613800138000'\ntags:\n  - VIP\n  - 茶\naddresses:\n    - 北京\n",
    "flow lists over several lines": "tags: [VIP,\n       茶]\nemails: [\n  a@x.com\n]\n",
    "a document indented as a whole": None,
    "comments and blank lines": "# 老客户\nnickname: 老李 # 熟人\n\n# 地址\naddresses: [北京]\n",
}


@pytest.mark.parametrize("layout", list(_LAYOUTS))
def test_an_edit_changes_the_lines_of_the_fields_it_edits_only(store: tuple[Path, str], layout: str) -> None:
    """The round-trip writer wrote the whole file again in its own style: `customer set
    title=...` of a file whose lists were indented unlike each other (two hands, two editors)
    made them all alike, a flow list over several lines became one, a document indented as a
    whole was made flush left: lines no one edited changed, in the file and in the git diff
    every colleague merges. `kehu check` said ok before and after."""
    path, cid = store
    profile = next((path / "customers").rglob(f"{cid}/customer.yaml"))
    if _LAYOUTS[layout] is None:
        text = "".join(f"  {line}\n" for line in f"id: {cid}\nname: 李雷\ntags: [a,\n  b]\nowner: 王芳".splitlines())
    else:
        text = f"id: {cid}\nname: 李雷\nowner: 王芳\n" + _LAYOUTS[layout]
    profile.write_text(text, encoding="utf-8")
    assert kehu("check", store=path).code == 0
    edited = kehu("customer", "set", cid, "title=店长", store=path)
    assert edited.code == 0, edited.err
    after = profile.read_text(encoding="utf-8")
    gone = [line for line in text.splitlines() if line not in after.splitlines()]
    added = [line for line in after.splitlines() if line not in text.splitlines()]
    assert gone == [] and [line.strip() for line in added] == ["title: 店长"], after
    assert kehu("check", store=path).code == 0
    assert kehu("customer", "show", cid, "--json", store=path).json()["title"] == "店长"


def test_a_dormant_tier_the_store_does_not_have_is_found_by_check(store: tuple[Path, str]) -> None:
    """``visits: dormant_tiers: [nope]`` in kehu.yaml: `kehu check` said ok, and `kehu visits
    plan` failed for every rep of the store."""
    path, _cid = store
    config = path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "visits:\n  dormant_tiers: [nope]\n", encoding="utf-8")
    line = len(config.read_text(encoding="utf-8").splitlines())
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"kehu.yaml:{line}: visits.dormant_tiers: no tier 'nope'" in checked.out, checked.out


def test_an_import_column_naming_no_purchase_field_is_found_by_check(store: tuple[Path, str], tmp_path: Path) -> None:
    """``import_columns: {金额: purchase.nope}`` in kehu.yaml: every sheet's import was refused
    for it ("unknown purchase field", at line 1), and `kehu check` said ok."""
    path, _cid = store
    config = path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "import_columns:\n  金额: purchase.nope\n", encoding="utf-8")
    line = len(config.read_text(encoding="utf-8").splitlines()) - 1
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"kehu.yaml:{line}: import_columns: unknown purchase field" in checked.out, \
        checked.out
    sheet = tmp_path / "a.csv"
    sheet.write_text("姓名,电话,金额\n王一,13500000001,5\n", encoding="utf-8")
    imported = kehu("import", str(sheet), store=path)
    assert imported.code == 1 and f"kehu.yaml:{line}: import_columns" in imported.out + imported.err, imported.err


@pytest.mark.parametrize("folder", ["outbox", "visits/王芳", "templates", "."])
def test_the_outbox_is_never_where_git_shares_it(store: tuple[Path, str], folder: str) -> None:
    """``plugins: outbox: folder: outbox`` (a natural setting, relative to the store): each
    message, the customer's phone number in it, was written in the store where `kehu sync`
    commits everything, and pushed to every clone, which the default ``.kehu/outbox`` (git
    ignores it) is there to prevent. Only customers/ and .git were refused."""
    path, _cid = store
    config = path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  disabled: []", f"  disabled: []\n  outbox:\n    folder: {folder}"), encoding="utf-8")
    (path / "templates").mkdir(exist_ok=True)
    (path / "templates" / "greet.j2").write_text("{{ name }}，您好\n", encoding="utf-8")
    before = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if ".kehu" not in p.parts)
    sent = kehu("send", "--segment", "all", "--template", "greet", "--channel", "sms", store=path)
    no_traceback(sent)
    # named as every plugin setting is, at its kehu.yaml line (nineteenth round: before any send)
    assert sent.code == 1 and "plugins.outbox.folder:" in sent.out + sent.err, sent.out + sent.err
    assert sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if ".kehu" not in p.parts) == before


def test_a_handover_names_the_reps_as_it_stores_them(tmp_path: Path) -> None:
    """`kehu handover 王芳 " 李四 "` stored 李四 (every door takes the spaces off an owner) but
    said and committed " 李四 "; `kehu handover 王芳 " 王芳 "` handed 王芳's customers to 王芳."""
    from .conftest import git

    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    assert kehu("customer", "add", "--name", "李雷", "--owner", "王芳", store=path).code == 0
    same = kehu("handover", "王芳", " 王芳 ", store=path)
    assert same.code == 2 and "same rep" in same.err, same.err
    moved = kehu("handover", "王芳", " 李四 ", store=path)
    assert moved.code == 0 and "from 王芳 to 李四 (commit" in moved.out, moved.out
    assert git(path, "log", "-1", "--format=%s").strip() == "handover: 1 customers of 王芳 to 李四"
