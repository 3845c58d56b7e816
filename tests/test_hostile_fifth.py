"""Variants of issue 16's kinds found by the fifth outside round (2026-12-05): each failed on
the code before its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import test_hostile_limits
from .conftest import kehu
from .test_hostile import tree_hash

# the fixtures of a store of one customer, copied for each test
base, store = test_hostile_limits.base, test_hostile_limits.store


# A byte that is not UTF-8 in an argument (a terminal in GBK, a script's Latin-1): Python hands
# it to kehu as a lone surrogate (U+DCFF for 0xFF), which no file, index or terminal can hold.
NOT_UTF8 = "bad\udcff"


@pytest.mark.parametrize("args", [
    ("customer", "add", "--name", "X", "--note", NOT_UTF8),
    ("interaction", "add", "{cid}", "--kind", "note", "--date", "2026-01-01", "--text", NOT_UTF8),
    ("customer", "set", "{cid}", f"notes={NOT_UTF8}"),
    ("search", NOT_UTF8),
    ("customer", "list", "--tag", NOT_UTF8),
    ("handover", NOT_UTF8, "b"),
    ("export", "--format", "csv", "--tag", NOT_UTF8, "{tmp}/out.csv"),
])
def test_an_argument_that_is_not_utf8_is_a_usage_error(store: tuple[Path, str], tmp_path: Path,
                                                       args: tuple[str, ...]) -> None:
    path, cid = store
    before = tree_hash(path)
    result = kehu(*(a.format(cid=cid, tmp=tmp_path) for a in args), store=path)
    assert result.code == 2, (result.code, result.err)
    assert "internal error" not in result.err and "Traceback" not in result.err
    assert "UTF-8" in result.err and "\\xff" in result.err, result.err
    assert tree_hash(path) == before


def test_a_file_named_in_another_encoding_is_still_a_path(store: tuple[Path, str], tmp_path: Path) -> None:
    path, _cid = store
    sheet = tmp_path / "客户\udcff.csv"  # a name in GBK bytes, from a Windows colleague's zip
    with open(bytes(sheet), "w", encoding="utf-8") as f:  # noqa: PTH123 - the name's bytes as they are
        f.write("name,phone\n王芳,13912345678\n")
    result = kehu("import", str(sheet), store=path)
    assert result.code == 0, result.err
    assert "王芳" in kehu("customer", "list", store=path).out
    listed = kehu("undo", "--list", store=path)
    assert listed.code == 0 and "\\xff.csv" in listed.out, listed.out  # journaled, so undoable


@pytest.mark.parametrize("region", ["ZZZ", "china", "XX"])
def test_a_region_no_phone_number_knows_is_found_by_check_and_named_by_customer_add(
        store: tuple[Path, str], region: str) -> None:
    path, _cid = store
    config = path / "kehu.yaml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("region:"))
    lines[at] = f"region: {region}\n"
    config.write_text("".join(lines), encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"kehu.yaml:{at + 1}: region:" in checked.out, checked.err + checked.out
    before = tree_hash(path)
    added = kehu("customer", "add", "--name", "王芳", "--phone", "13912345678", store=path)
    assert added.code == 1 and "kehu.yaml: region:" in added.err, added.err
    assert tree_hash(path) == before


@pytest.mark.parametrize("args", [("customer", "list"), ("init", "x"), ("--store", "rel", "customer", "list"),
                                  ("--lang", "en", "export", "--format", "csv", "o.csv")])
def test_a_working_folder_deleted_under_the_shell_is_named(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Another program (a `rm -rf` of an old clone, a sync tool) deletes the folder the shell
    is in; kehu then has no working folder to find a store, a relative path or its language in."""
    gone = tmp_path / "gone"
    gone.mkdir()
    script = 'cd "$1" && rmdir "$1" && shift && exec "$@"'
    result = subprocess.run(["sh", "-c", script, "sh", str(gone), sys.executable, "-m", "kehu_core", *args],
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert "working folder" in result.stderr, result.stderr



@pytest.mark.parametrize("name", ["王芳\u200b", "\u200e王芳", "\ufeff王芳", "王芳\u2060"])
def test_a_name_only_row_matches_the_customer_whose_name_it_shows(tmp_path: Path, name: str) -> None:
    """A sheet's row with a name only is the customer of that name: invisible characters pasted
    with it (a zero-width space, a direction mark) made a second customer that looks the same."""
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "王芳", store=path).out.strip()
    sheet = tmp_path / "rows.csv"
    sheet.write_text(f"name,tag\n{name},回头客\n", encoding="utf-8")
    result = kehu("import", str(sheet), store=path)
    assert result.code == 0, result.err
    listed = kehu("customer", "list", "--json", store=path)
    customers = __import__("json").loads(listed.out)
    assert [c["id"] for c in customers] == [cid], customers
    assert customers[0]["tags"] == ["回头客"], customers


def test_a_decomposed_name_matches_its_composed_customer(tmp_path: Path) -> None:
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    kehu("customer", "add", "--name", "Jos\u00e9 Ruiz", store=path)
    sheet = tmp_path / "rows.csv"
    sheet.write_text("name,tag\nJose\u0301 Ruiz,vip\n", encoding="utf-8")  # as macOS may write it
    assert kehu("import", str(sheet), store=path).code == 0
    assert len(__import__("json").loads(kehu("customer", "list", "--json", store=path).out)) == 1


def test_items_adding_up_past_the_digits_of_an_amount_are_refused_as_an_amount_is(
        store: tuple[Path, str], tmp_path: Path) -> None:
    """`--qty 999999999999 --price 999999999999` each fit; their product (24 digits) was written
    as the sale's amount with exit 0, then refused by `kehu check`, so `kehu sync` stopped."""
    path, cid = store
    before = tree_hash(path)
    added = kehu("purchase", "add", cid, "--date", "2026-05-01", "--item", "x", "--qty", "999999999999",
                 "--price", "999999999999", store=path)
    assert added.code == 1 and "at most 12 digits" in added.err, added.err
    assert tree_hash(path) == before
    sheet = tmp_path / "sales.csv"
    sheet.write_text("name,phone,date,item,qty,price\n李雷,13800138000,2026-05-01,x,999999999999,999999999999\n",
                     encoding="utf-8")
    imported = kehu("import", str(sheet), store=path)
    assert imported.code == 1 and "sales.csv:2" in imported.err, imported.err
    assert tree_hash(path) == before
    assert kehu("check", store=path).code == 0


def test_links_and_fifos_besides_the_records_are_found_by_check(store: tuple[Path, str], tmp_path: Path) -> None:
    """`templates/` a link to a folder outside, a template a link to /etc/passwd, a link at the
    store's top: `kehu check` said ok, and `kehu sync` pushed them to every clone."""
    path, _cid = store
    outside = tmp_path / "outside"
    outside.mkdir()
    (path / "templates").mkdir()
    (path / "templates" / "evil.j2").symlink_to("/etc/passwd")
    os.mkfifo(path / "templates" / "wait.j2")
    (path / "shared").symlink_to(outside)
    checked = kehu("check", store=path)
    assert checked.code == 1, checked.out
    for name in ("templates/evil.j2", "templates/wait.j2", "shared"):
        assert f"{path / name}:1: " in checked.out, (name, checked.out)


def test_sync_merges_no_link_a_colleague_committed(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    mine = tmp_path / "mine"
    assert kehu("init", str(mine)).code == 0
    subprocess.run(["git", "-C", str(mine), "remote", "add", "origin", str(remote)], check=True)
    assert kehu("sync", store=mine).code == 0
    theirs = tmp_path / "theirs"
    subprocess.run(["git", "clone", "-q", str(remote), str(theirs)], check=True)
    (theirs / "templates").symlink_to(tmp_path)  # with plain git
    for args in (["add", "templates"], ["-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qm", "t"],
                 ["push", "-q", "origin", "HEAD"]):
        subprocess.run(["git", "-C", str(theirs), *args], check=True)
    head = subprocess.run(["git", "-C", str(mine), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    synced = kehu("sync", store=mine)
    assert synced.code == 1 and "templates:1: is a symbolic link" in synced.err, synced.err
    assert not (mine / "templates").is_symlink()
    assert subprocess.run(["git", "-C", str(mine), "rev-parse", "HEAD"], capture_output=True, text=True).stdout == head


@pytest.mark.parametrize("line", ['X-KEHU-NOTES:"\\ud800x"', 'X-KEHU-HOBBY:{"a": "\\udcff"}',
                                  'X-KEHU-HOBBY:{"b": ["\\ud83d"]}'])
def test_a_json_escape_of_half_a_character_in_a_vcard_is_refused_at_its_card(
        store: tuple[Path, str], tmp_path: Path, line: str) -> None:
    """An X-KEHU-* value is JSON, whose "\\ud800" is half of a UTF-16 pair: stored in a record,
    the write ended in "internal error: UnicodeEncodeError"."""
    path, _cid = store
    card = tmp_path / "card.vcf"
    card.write_text(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:测试\r\nTEL:13912340000\r\n{line}\r\nEND:VCARD\r\n",
                    encoding="utf-8")
    before = tree_hash(path)
    result = kehu("import", str(card), store=path)
    assert result.code == 1, result.err
    assert "internal error" not in result.err and "card.vcf:1: " in result.err, result.err
    assert "half of a UTF-16 pair" in result.err, result.err
    assert tree_hash(path) == before


@pytest.mark.parametrize("args", [("init", "{loop}"), ("--store", "{loop}", "customer", "list"),
                                  ("--store", "{loop}", "check")])
def test_a_link_that_leads_back_to_itself_is_named(tmp_path: Path, args: tuple[str, ...]) -> None:
    """`ln -s shop shop` (a typo): Path.resolve raised RuntimeError "Symlink loop", and kehu said
    "internal error"."""
    loop = tmp_path / "shop"
    loop.symlink_to("shop")
    result = kehu(*(a.format(loop=loop) for a in args))
    assert result.code == 1, result.err
    assert "internal error" not in result.err, result.err
    assert f"{loop}: Too many levels of symbolic links" in result.err, result.err
    assert loop.is_symlink()


def test_also_known_keeps_the_shape_a_merge_writes(store: tuple[Path, str]) -> None:
    """`also_known` (what `kehu customer merge` keeps of a customer merged away) set to text
    passed `customer set` and `check`; the next merge made it the list h, e, l, l, o."""
    path, cid = store
    before = tree_hash(path)
    refused = kehu("customer", "set", cid, "also_known=hello", store=path)
    assert refused.code == 1 and "also_known: expected the list" in refused.err, refused.err
    assert tree_hash(path) == before
    profile = next(path.glob(f"customers/*/{cid}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + "also_known: hello\n", encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{profile}:1: also_known: expected the list" in checked.out, checked.out


def test_a_sale_is_never_voided_before_it_was_made(store: tuple[Path, str]) -> None:
    """`kehu --today 2026-04-01 purchase void` of a sale of 2026-05-01 wrote the void with exit
    0 and `check` said ok, while a payment dated so is refused by both."""
    path, cid = store
    sale = kehu("--today", "2026-06-01", "purchase", "add", cid, "--date", "2026-05-01", "--amount", "100",
                store=path).out.strip().splitlines()[-1]
    before = tree_hash(path)
    voided = kehu("--today", "2026-04-01", "purchase", "void", cid, sale, "--reason", "x", store=path)
    assert voided.code == 1 and "voided on 2026-04-01, before the purchase (2026-05-01)" in voided.err, voided.err
    assert tree_hash(path) == before
    record = next(path.glob(f"customers/*/{cid}/interactions/{sale}.yaml"))
    record.write_text(record.read_text(encoding="utf-8") + "voided: {date: 2026-04-01, reason: x}\n",
                      encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{record}:" in checked.out and "before the purchase" in checked.out, checked.out


def test_a_store_named_in_the_environment_not_in_utf8_is_a_usage_error(tmp_path: Path) -> None:
    env = {**os.environ, "KEHU_STORE": os.fsdecode(bytes(tmp_path) + b"/shop\xff")}
    result = subprocess.run([sys.executable, "-m", "kehu_core", "customer", "list"], capture_output=True,
                            text=True, env=env)
    assert result.returncode == 2, result.stderr
    assert "internal error" not in result.stderr and "KEHU_STORE" in result.stderr, result.stderr


@pytest.mark.parametrize("day", ["9999-12-31", "1899-12-31"])
def test_a_shared_today_outside_the_dates_kehu_keeps_is_found_at_its_line(store: tuple[Path, str], day: str) -> None:
    """kehu.yaml's `today:` (a training store's fixed day) is shared by every clone; 9999-12-31
    passed `check`, then `customer show`, points, tiers, reminders and reports ended in
    "internal error: OverflowError" for the whole team."""
    path, cid = store
    config = path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + f"today: {day}\n", encoding="utf-8")
    line = text.count("\n") + 1
    for args in (("check",), ("customer", "show", cid), ("reminders",)):
        result = kehu(*args, store=path)
        assert result.code == 1, (args, result.err)
        said = result.out + result.err
        assert "internal error" not in said and f"kehu.yaml:{line}: today: {day} is outside" in said, (args, said)


@pytest.mark.parametrize(("setting", "field"), [("per_amount: 1e30", "per_amount"), ("unit: 1e-30", "unit"),
                                                ("multipliers: {VIP: 1e30}", "multipliers.VIP")])
def test_a_points_setting_no_sale_can_earn_by_is_named_at_its_line(
        store: tuple[Path, str], setting: str, field: str) -> None:
    """`per_amount: 1e30` made every purchase's points a delta past a record's 18 digits: each
    sale was kept and its points failed, the message naming the ledger's line 1, not kehu.yaml."""
    path, cid = store
    config = path / "kehu.yaml"
    text = config.read_text(encoding="utf-8").replace("  disabled: []", f"  disabled: []\n  points:\n    {setting}")
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index(f"    {setting}") + 1
    kehu("customer", "set", cid, "level=VIP", store=path)
    added = kehu("purchase", "add", cid, "--date", "2026-05-01", "--amount", "50", store=path)
    assert f"kehu.yaml:{line}: plugins.points.{field}:" in added.err, added.err
