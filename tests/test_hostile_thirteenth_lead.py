"""Thirteenth round, the lead's finds (issue 16). Each failed on the code before its fix; see
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.store import Store
from kehu_core.testing import add_customer, make_store, run_kehu

from .conftest import kehu, kehu_subprocess
from .test_confidential import keyfile
from .test_hostile import tree_hash
from .test_hostile_git import team  # noqa: F401 (a fixture)
from .test_hostile_limits import base, no_traceback, store  # noqa: F401 (fixtures)
from .test_team_merge import remote  # noqa: F401 (a fixture)


@pytest.mark.parametrize(("typed", "problem"), [
    ("2026-13-01", "is not a date"),
    ("garbage", "is not a date"),
    ("9999-12-31", "outside the dates kehu keeps"),
])
def test_a_bad_kehu_today_is_named_as_itself(
        store: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, typed: str, problem: str) -> None:  # noqa: F811
    """A bad KEHU_TODAY (left in a shell profile) was reported as "Invalid value for
    '--today'", an option the user never typed: they looked for it on the command line. The
    message names KEHU_TODAY when the day came from there and `--today` when it was typed,
    with the same reason; exit 2 as any bad argument, nothing written."""
    path, _ = store
    before = tree_hash(path)
    monkeypatch.setenv("KEHU_TODAY", typed)
    from_env = kehu("customer", "list", store=path)
    no_traceback(from_env)
    assert from_env.code == 2
    assert "KEHU_TODAY" in from_env.err and "--today" not in from_env.err, from_env.err
    assert problem in from_env.err and typed in from_env.err
    monkeypatch.delenv("KEHU_TODAY")
    typed_here = kehu("--today", typed, "customer", "list", store=path)
    assert typed_here.code == 2
    assert "'--today'" in typed_here.err and "KEHU_TODAY" not in typed_here.err, typed_here.err
    assert problem in typed_here.err
    assert tree_hash(path) == before


def test_a_ledger_rule_naming_an_entry_past_the_end_is_the_plugins_failure(tmp_path: Path) -> None:
    """`validate_ledger` returns (n, message) with n the index of the entry at fault. A rule
    that named an entry the ledger does not have (its own off-by-one, or an index into a list
    of its making) had its message printed at the ledger's line 1, as if the ledger's first
    entry were wrong: a rep went looking for a fault in a line that holds none. An index past
    the entries is the plugin's wrong result, named as such, and no problem of the ledger."""

    class PastTheEnd:
        @hookimpl
        def validate_ledger(self, store: Any, customer_id: str, ledger: str,  # noqa: F811
                            entries: list[dict[str, Any]]) -> list[tuple[int, str]] | None:
            return [(len(entries), "points spent twice")]

    shop = make_store(tmp_path / "store", plugins={"pastend": PastTheEnd()})
    cid = add_customer(shop, name="赵敏")
    assert run_kehu(shop, "purchase", "add", cid, "--item", "茶", "--price", "100", "--date", "2026-11-01").code == 0
    checked = run_kehu(shop, "check")
    said = checked.out + checked.err
    assert "points spent twice" not in said.replace("failed in validate_ledger", ""), said
    assert "plugin 'pastend' failed in validate_ledger: wrong result" in said, said
    assert "past" in said, said


@pytest.mark.parametrize("put", ["fifo", "deep"])
def test_a_file_kehu_keeps_in_the_users_cache_is_never_waited_on(
        demo_copy: Path, tmp_path: Path, put: str) -> None:
    """kehu keeps the plugins' entry points and each year's holidays as small JSON files in
    the user's cache folder (~/.cache/kehu). A FIFO put in place of one hung every command
    (`customer list`, `reminders`) until someone wrote to it; JSON nested 100 000 deep ended
    every command in "internal error" (the entry points) or failed the holiday greetings. Such
    a file is no kept file: the value is worked out again, the file written anew, the command
    answers as before."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = kehu_subprocess("reminders", "--days", "60", store=demo_copy, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    kept = sorted((tmp_path / "cache" / "kehu").glob("*.json"))
    assert any(p.name.startswith("entry-points-") for p in kept), kept
    assert any(p.name.startswith("holidays-CN-2027-") for p in kept), kept
    for path in kept:
        path.unlink()
        if put == "fifo":
            os.mkfifo(path)
        else:
            path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    again = kehu_subprocess("reminders", "--days", "60", store=demo_copy, env=env, timeout=300)
    assert "Traceback" not in again.stderr, again.stderr
    assert again.returncode == 0, again.stderr
    assert "failed" not in again.stderr and "internal error" not in again.stderr, again.stderr
    assert again.stdout == first.stdout
    assert all(path.is_file() and path.stat().st_size < 100_000 for path in kept)  # written anew


def test_a_tier_move_both_clones_recorded_is_no_move_back_after_a_later_one(
        team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """Both clones record a customer's first tier (`kehu tier record`, each on its schedule);
    the colleague syncs first; here the customer is then pinned to another tier (`kehu tier
    set`), and this clone syncs. git's union of the two ledgers put the colleague's line after
    both of ours: `kehu tier` and the TUI's Tier moves panel showed a move back to the first
    tier that nobody made, and the next `tier record` wrote the move up again. The colleague's
    line repeats a move already kept, from a tier the customer had left, and is no move."""
    a, b, cid = team
    for clone in (a, b):
        assert kehu("tier", "record", store=clone).code == 0
    assert kehu("sync", store=b).code == 0
    first = Store.open(a).ledger(cid, "tiers")[-1]["to"]
    other = next(t for t in kehu("tier", "--json", store=a).json()["tiers"] if t != first)
    assert kehu("tier", "set", cid, other, store=a).code == 0
    synced = kehu("sync", store=a)
    assert synced.code == 0, synced.err
    assert len(Store.open(a).ledger(cid, "tiers")) == 3  # git's union kept every line
    moved = [(c["from"], c["to"]) for c in kehu("tier", "--json", store=a).json()["recent_changes"]
             if c["customer_id"] == cid]
    assert moved == [(first, other), (None, first)], moved  # newest first
    again = kehu("tier", "record", store=a)
    assert again.code == 0 and "0 tier change(s) recorded" in again.err, again.err
    assert len(Store.open(a).ledger(cid, "tiers")) == 3


@pytest.mark.parametrize("damage", ["{broken", "[]", '{"files": [{"path": "customers/x", "before": 5}]}'])
def test_a_damaged_journal_entry_stops_no_keys_command_half_done(
        store: tuple[Path, str], tmp_path: Path, damage: str) -> None:  # noqa: F811
    """`kehu keys add` and `keys fields add` write kehu.yaml, then drop from the undo journal
    (.kehu/journal) every kept text holding a now-confidential value in plain. An entry that
    was damaged or hand-edited ended them in "internal error" after kehu.yaml was written: the
    key added, nothing encrypted to it, exit 1. Such an entry is passed over — `kehu undo` names
    it, "remove it", as before — and the command finishes."""
    path, cid = store
    assert kehu("customer", "set", cid, "nickname=小赵", store=path).code == 0
    assert kehu("customer", "set", cid, "nickname=阿赵", store=path).code == 0
    entries = sorted((path / ".kehu" / "journal").glob("*.json"))
    entries[0].write_text(damage, encoding="utf-8")
    _identity, public = keyfile(tmp_path, "wang")
    added = kehu("keys", "add", "王芳", public, store=path)
    no_traceback(added)
    assert added.code == 0, added.err
    made = kehu("keys", "fields", "add", "nickname", store=path)
    no_traceback(made)
    assert made.code == 0, made.err
    profile = next((path / "customers").rglob(f"{cid}/customer.yaml")).read_text(encoding="utf-8")
    assert "阿赵" not in profile and "nickname: age:" in profile, profile
    assert not any("阿赵" in p.read_text(encoding="utf-8") for p in entries[1:])  # nor in plain in the journal
    assert kehu("check", store=path).code == 0
    listed = kehu("undo", "--list", store=path)
    assert listed.code == 1 and "not a journal entry kehu wrote" in listed.err, listed.err


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_purchases_exported_and_imported_back_are_not_doubled(demo_copy: Path, tmp_path: Path, form: str) -> None:
    """`kehu export --what purchases` writes the seed's columns so that the sheet imports back
    (docs/import-export.md). Imported back into the store it came from — a phone corrected in
    Excel, the sheet read in again — every purchase was added a second time ("1500 purchases
    added"): the shop's revenue, each customer's points and every unpaid sale's receivable
    doubled, `kehu check` ok. A sheet's purchase that the customer already has (same day,
    items as the export writes them, amount) is one already there, as a purchase imported
    before is; one more of the same in the sheet than in the store is added."""
    sheet = tmp_path / f"purchases.{form}"
    exported = kehu("export", "--format", form, "--what", "purchases", str(sheet), store=demo_copy)
    assert exported.code == 0, exported.err
    before = [kehu("report", name, "--json", store=demo_copy).out for name in ("revenue", "receivables")]
    count = len(list((demo_copy / "customers").rglob("interactions/*.yaml")))
    dry = kehu("import", str(sheet), "--dry-run", "--json", store=demo_copy)
    assert dry.code == 0, dry.err
    again = kehu("import", str(sheet), store=demo_copy)
    assert again.code == 0, again.err
    rows = int(re.search(r"wrote (\d+) rows", exported.out + exported.err).group(1))  # type: ignore[union-attr]
    assert rows > 1000
    assert f"; 0 purchases added ({rows} already there)" in again.out + again.err, again.out + again.err
    assert len(list((demo_copy / "customers").rglob("interactions/*.yaml"))) == count
    assert [kehu("report", name, "--json", store=demo_copy).out for name in ("revenue", "receivables")] == before
    assert kehu("check", store=demo_copy).code == 0


def test_kehu_edit_whose_editor_removed_the_copy_opens_the_record_again(
        store: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """An $EDITOR (or a script in its place) that removes or renames the file it was given:
    `kehu edit` ended with "kehu: /tmp/kehu-edit-…/customer.yaml: No such file or directory",
    a temporary path the user never saw. It is a problem of the edit, said as such, and "open
    the editor again" opens the record as it is, not an empty file; what the editor then
    saves is saved."""
    path, cid = store
    script = tmp_path / "editor.py"
    script.write_text(
        "import os, sys\n"
        f"once = {str(tmp_path / 'once')!r}\n"
        "if not os.path.exists(once):\n"
        "    open(once, 'w').close()\n"
        "    os.remove(sys.argv[1])\n"
        "else:\n"
        "    text = open(sys.argv[1], encoding='utf-8').read()\n"
        "    open(sys.argv[1], 'w', encoding='utf-8').write(text.replace('李雷', '李蕾'))\n", encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    edited = kehu("edit", cid, store=path, input="y\n")
    no_traceback(edited)
    assert "the editor left no file" in edited.err and "No such file" not in edited.err, edited.err
    assert edited.code == 0, edited.err
    assert kehu("customer", "show", cid, "--json", store=path).json()["name"] == "李蕾"


def test_kehu_edit_stopped_at_its_question_says_where_the_text_is(
        store: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """`kehu edit` whose copy has a problem asks "Open the editor again?"; stopped there (Ctrl-C,
    or no terminal to answer: a script) it printed "Aborted!" and left the user's text in an
    unnamed folder of /tmp, confidential fields in plain among it. It says where the text is
    kept, as when the editor fails, exit 1, the record unchanged."""
    path, cid = store
    before = tree_hash(path)
    script = tmp_path / "editor.py"
    script.write_text("import sys\nopen(sys.argv[1], 'a', encoding='utf-8').write('tier: 金卡\\n')\n", encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    stopped = kehu("edit", cid, store=path, input="")  # no answer: end of input
    no_traceback(stopped)
    assert stopped.code == 1
    kept = Path(stopped.err.strip().rsplit("your text is kept in ", 1)[1])
    assert "tier: 金卡" in kept.read_text(encoding="utf-8")
    assert tree_hash(path) == before


@pytest.mark.parametrize("typed", ["%_" * 20_000, "_" * 60_000, "赵" * 20_000], ids=["percent", "underscore", "han"])
def test_a_search_longer_than_any_pattern_the_index_takes_finds_nobody(demo_copy: Path, typed: str) -> None:
    """A search pasted by mistake (a whole sheet's column, 40 000 characters with `%` or `_`)
    ended `kehu search` — and the TUI's search box, which asks the same index — in "internal
    error: OperationalError: LIKE or GLOB pattern too complex" (SQLite takes a pattern of at
    most 50 000 bytes). No customer's name, phone or tag is that long: it finds nobody."""
    found = kehu("search", typed, "--json", store=demo_copy)
    no_traceback(found)
    assert found.code == 0, found.err
    assert found.json() == []


def _merged_here_changed_there(clones: tuple[Path, Path, str], first: str, *change: str) -> tuple[str, str]:
    """Clone a merges 甲 into 乙 (`kehu customer merge`); clone b, unaware, runs ``change`` on 甲
    (ID in it stands for 甲's id); they sync, ``first`` ("merging": a) first. Each sync must
    exit 0; then in both clones 甲's folder is gone, 甲 is named once under 乙's also_known and
    `kehu check` is clean. Returns (甲's id, 乙's id)."""
    a, b, merged_id = clones
    kept_id = kehu("customer", "add", "--name", "乙", "--phone", "13900139000", store=a).out.strip()
    assert kehu("sync", store=a).code == 0
    assert kehu("sync", store=b).code == 0
    assert kehu("customer", "merge", kept_id, merged_id, store=a).code == 0
    changed = kehu(*(merged_id if word == "ID" else word for word in change), store=b)
    assert changed.code == 0, changed.err
    for clone in (a, b, a) if first == "merging" else (b, a, b):
        synced = kehu("sync", store=clone)
        assert synced.code == 0, synced.err
    for clone in (a, b):
        assert not list((clone / "customers").rglob(f"{merged_id}/*")), clone
        known = kehu("customer", "show", kept_id, "--json", store=clone).json()["also_known"]
        assert [e["id"] for e in known] == [merged_id]
        checked = kehu("check", store=clone)
        assert checked.code == 0, checked.out + checked.err
    return merged_id, kept_id


@pytest.mark.parametrize("first", ["merging", "selling"])
def test_a_sale_of_a_customer_merged_away_in_the_other_clone_follows_them(
        team: tuple[Path, Path, str], first: str) -> None:  # noqa: F811
    """The supervisor merges two profiles of one person (`kehu customer merge 乙 甲`) and syncs;
    meanwhile a rep records a sale of 甲 in their own clone. The rep's sync stopped and asked
    them to keep 甲 whole (the duplicate back) or delete it whole (the sale lost): neither is
    what anyone did. The sale follows 甲 into 乙, as if it had been there when they were merged:
    both syncs exit 0, no folder of 甲 is left, 乙 has the sale and its points, 甲 is named once
    under 乙's also_known, and `kehu check` is clean in both clones."""
    _merged_id, kept_id = _merged_here_changed_there(
        team, "merging" if first == "merging" else "changing",
        "purchase", "add", "ID", "--item", "龙井茶礼盒", "--price", "688")
    for clone in team[:2]:
        shown = kehu("customer", "show", kept_id, "--json", store=clone).json()
        assert [p["items"][0]["name"] for p in shown["purchases"]] == ["龙井茶礼盒"], shown["purchases"]
        assert kehu("points", kept_id, "--json", store=clone).json()["balance"] > 0


@pytest.mark.parametrize("first", ["merging", "editing"])
def test_a_profile_changed_in_one_clone_and_merged_away_in_the_other_goes_into_the_kept_one(
        team: tuple[Path, Path, str], first: str) -> None:  # noqa: F811
    """The supervisor merges 甲 into 乙 (`kehu customer merge 乙 甲`) while a rep, in their clone,
    gives 甲 a nickname and a tag. The sync stopped on 甲's profile, "changed in this clone,
    deleted in the other", asking to keep 甲 whole (the duplicate back) or delete it (the rep's
    change lost). The change goes into 乙 as `customer merge` merges two profiles: both syncs
    exit 0, 甲 is gone, 乙 has the nickname and the tag, 甲 is named once under 乙's also_known,
    `kehu check` is clean in both clones."""
    _merged_id, kept_id = _merged_here_changed_there(
        team, first, "customer", "set", "ID", "nickname=老甲", "tags+=回头客")
    for clone in team[:2]:
        shown = kehu("customer", "show", kept_id, "--json", store=clone).json()
        assert shown.get("nickname") == "老甲" and "回头客" in shown.get("tags", []), shown


@pytest.mark.parametrize("first", ["a", "b"])
def test_one_customer_merged_into_two_in_two_clones_makes_one(team: tuple[Path, Path, str], first: str) -> None:  # noqa: F811
    """Three profiles of one person: the supervisor merges 甲 into 乙, a rep merges 甲 into 丙,
    each in their clone. The second sync stopped on each of 甲's records, moved to two places,
    with a message that made no sense ("this clone's file, which git set aside under this name:
    the other clone has a folder at" its own path). Both merges say 甲 is 乙 and 甲 is 丙: the
    sync keeps 甲's records where the clone that shared first put them and merges the other
    kept customer in: one customer in both clones, 甲's sale once, each merged id named once
    under also_known, `kehu check` clean."""
    a, b, merged_id = team
    sold = kehu("purchase", "add", merged_id, "--item", "龙井茶礼盒", "--price", "688", store=a)
    assert sold.code == 0, sold.err
    yi = kehu("customer", "add", "--name", "乙", "--phone", "13900139000", store=a).out.strip()
    bing = kehu("customer", "add", "--name", "丙", "--phone", "13700137000", store=a).out.strip()
    for clone in (a, b):
        assert kehu("sync", store=clone).code == 0
    assert kehu("customer", "merge", yi, merged_id, store=a).code == 0
    assert kehu("customer", "merge", bing, merged_id, store=b).code == 0
    for clone in (a, b, a) if first == "a" else (b, a, b):
        synced = kehu("sync", store=clone)
        assert synced.code == 0, synced.err
    for clone in (a, b):
        (left,) = kehu("customer", "list", "--json", store=clone).json()
        assert left["id"] in (yi, bing)
        shown = kehu("customer", "show", left["id"], "--json", store=clone).json()
        assert [p["items"][0]["name"] for p in shown["purchases"]] == ["龙井茶礼盒"]
        assert sorted(e["id"] for e in shown["also_known"]) == sorted({merged_id, yi, bing} - {left["id"]})
        checked = kehu("check", store=clone)
        assert checked.code == 0, checked.out + checked.err
