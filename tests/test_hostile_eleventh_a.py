"""Variants of issue 16's kinds 1 to 4 found by the eleventh outside round (A, 2026-12-05). Each
failed on the code before its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from . import test_hostile_limits
from .conftest import kehu
from .test_hostile import tree_hash

# the fixtures of a store of one customer (李雷, owner 王芳), copied for each test
base, store = test_hostile_limits.base, test_hostile_limits.store
no_traceback = test_hostile_limits.no_traceback


def _folder(path: Path, cid: str) -> Path:
    return next((path / "customers").glob(f"*/{cid}"))


@pytest.mark.parametrize("name", ["a b", "con", "x.y", "-x"])
def test_a_ledger_named_as_no_ledger_is_one_problem_of_check(store: tuple[Path, str], name: str) -> None:
    """A ``*.ledger.yaml`` whose name is no ledger name (a copy ``a b.ledger.yaml``, Windows'
    ``con``): `kehu check` stopped at it with "invalid ledger name 'a b'", naming no file and
    no other problem of the store, and so did `kehu sync`'s check; now it is a problem at its
    path, and the rest of the store is checked."""
    path, cid = store
    folder = _folder(path, cid)
    (folder / f"{name}.ledger.yaml").write_text("- {date: 2026-01-01, delta: 5}\n", encoding="utf-8")
    (folder / "customer.yaml").write_text(
        (folder / "customer.yaml").read_text(encoding="utf-8") + "payment_terms: true\n", encoding="utf-8")
    checked = kehu("check", store=path)
    no_traceback(checked)
    assert checked.code == 1
    assert f"{name}.ledger.yaml:1:" in checked.out, checked.out + checked.err
    assert "customer.yaml:" in checked.out, checked.out  # the store's other problem is still named


def test_two_names_a_clone_on_macos_or_windows_takes_for_one_are_found_by_check(store: tuple[Path, str]) -> None:
    """``Points.ledger.yaml`` beside ``points.ledger.yaml``, an interaction's file in upper case
    beside its lower case, ``templates/Greet.j2`` beside ``greet.j2``, a rep's plan folder
    ``José`` written composed and decomposed (a colleague's commit from Linux): `kehu check` said
    ok, and `kehu sync` pushed them, while a clone on macOS or Windows holds one file for both
    and its next sync commits that one's text under both names. Each is named at its path;
    a file beside one of another name is not."""
    path, cid = store
    folder = _folder(path, cid)
    (folder / "points.ledger.yaml").write_text("- {date: 2026-01-01, delta: 5, id: aaaaaaaaaa}\n", encoding="utf-8")
    (folder / "Points.ledger.yaml").write_text("- {date: 2026-01-02, delta: 7, id: bbbbbbbbbb}\n", encoding="utf-8")
    (folder / "interactions").mkdir(exist_ok=True)
    for name in ("2026-01-03-abcdefgh", "2026-01-03-ABCDEFGH", "2026-01-04-abcdefgh"):
        (folder / "interactions" / f"{name}.yaml").write_text("kind: note\ndate: 2026-01-03\ntext: x\n",
                                                             encoding="utf-8")
    (path / "templates").mkdir()
    for name in ("greet.j2", "Greet.j2", "thanks.j2"):
        (path / "templates" / name).write_text("你好 {{ name }}\n", encoding="utf-8")
    for name in ("Jos\u00e9", "Jose\u0301"):
        (path / "visits" / name).mkdir(parents=True)
    checked = kehu("check", store=path)
    no_traceback(checked)
    assert checked.code == 1, checked.out
    named = {line.split(":")[0].rsplit("/", 2)[-1] for line in checked.out.splitlines() if "only in case" in line}
    assert named == {"points.ledger.yaml", "Points.ledger.yaml", "2026-01-03-abcdefgh.yaml",
                     "2026-01-03-ABCDEFGH.yaml", "greet.j2", "Greet.j2", "Jos\u00e9", "Jose\u0301"}, checked.out


@pytest.mark.parametrize(("edit", "field", "before"), [
    ("tags+=b", "interests", ["VIP"]),  # the anchor on the entry edited, the alias in another
    ("owner=刘洋", "nickname", "王芳"),
])
def test_an_edit_of_an_anchored_value_leaves_its_aliases_their_value(
        store: tuple[Path, str], edit: str, field: str, before: object) -> None:
    """A profile written by hand with an anchor and an alias (``tags: &t [VIP]`` and
    ``interests: *t``, ``owner: &o 王芳`` and ``nickname: *o``), then `customer set` of the
    anchored field: the edit wrote the field again without its anchor and kept the other
    entry's text, ``*t``, an alias of nothing: exit 0, and the profile no reader took again
    ("found undefined alias": `check`, `show`, every later `set`). Now the alias's field keeps
    its value and the file reads."""
    path, cid = store
    profile = _folder(path, cid) / "customer.yaml"
    text = profile.read_text(encoding="utf-8")
    text = text.replace("owner: 王芳", "owner: &o 王芳").replace("tags:\n- VIP\n", "tags: &t\n- VIP\n")
    profile.write_text(text + "interests: *t\nnickname: *o\n", encoding="utf-8")
    assert kehu("check", store=path).code == 0
    edited = kehu("customer", "set", cid, edit, store=path)
    assert edited.code == 0, edited.err
    assert kehu("check", store=path).code == 0, kehu("check", store=path).out
    shown = kehu("customer", "show", cid, "--json", store=path)
    assert shown.code == 0, shown.err
    assert shown.json()[field] == before


def test_an_export_never_overwrites_a_reps_visit_plan(store: tuple[Path, str]) -> None:
    """`kehu export --format csv visits/王芳/2026-11-20.yaml`: a rep's plan of the day, which
    `kehu sync` shares, was replaced by a CSV with exit 0 (and a note that sync would share
    it), and `kehu visits plan` refused that rep's day from then on. ``visits/`` is refused as
    ``templates/`` is, for every export."""
    path, cid = store
    planned = kehu("--today", "2026-11-20", "visits", "plan", "--owner", "王芳", "--add", cid, store=path)
    assert planned.code == 0, planned.err
    plans = path / "visits" / "王芳"
    before = tree_hash(path)
    for argv in (["export", "--format", "csv"], ["export", "--format", "xlsx"], ["reminders", "--ics"],
                 ["visits", "cards", "--owner", "王芳"]):
        for target in (plans / "2026-11-20.yaml", plans / "new.csv"):
            result = kehu(*argv, str(target), store=path)
            assert result.code == 1, (argv, result.out, result.err)
            assert "is inside the store's records" in result.err and "visits/" in result.err, result.err
            no_traceback(result)
    assert tree_hash(path) == before


@pytest.mark.parametrize("argv", [
    ("customer", "list"), ("customer", "list", "--json"), ("reminders",), ("complaint", "list"),
    ("report", "credit"), ("report", "reps"),
])
@pytest.mark.parametrize("owner", ["", "   ", "\u3000"])
def test_an_empty_rep_filter_is_refused_as_an_empty_handover_is(
        store: tuple[Path, str], argv: tuple[str, ...], owner: str) -> None:
    """`--owner "$REP"` with REP unset (or spaces, an IME's ideographic space): `customer list`,
    `reminders` and the reports took it for no filter and listed every rep's customers, while
    `complaint list` took it for an owner of nobody ("no complaints"), each with exit 0, where
    `kehu handover ""` is refused. One option type (`cli.options.REP`) refuses it, naming it."""
    path, _cid = store
    result = kehu(*argv, "--owner", owner, store=path)
    no_traceback(result)
    assert result.code == 2, (result.out, result.err)
    assert "--owner" in result.err and "rep's name" in result.err, result.err
    assert "李雷" not in result.out


def test_a_sheet_with_two_columns_of_one_field_is_refused_not_half_read(
        store: tuple[Path, str], tmp_path: Path) -> None:
    """A profile holding a field of its own named `Name` (a hand edit's, `check` ok), exported to
    CSV and imported into a new store: both `name` and `Name` were read as the name, the later
    one won, and the customer came back named 别名, exit 0. So did any sheet with two columns of
    one field (订单金额 and 实付金额: the sale recorded at the later one). The file is refused at
    its header, naming both columns, and nothing is imported; columns of a list add up as before."""
    path, cid = store
    profile = _folder(path, cid) / "customer.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "Name: 别名\n", encoding="utf-8")
    exported = kehu("export", "--format", "csv", str(tmp_path / "all.csv"), store=path)
    assert exported.code == 0, exported.err
    sale = tmp_path / "sale.csv"
    sale.write_text("姓名,手机,日期,商品,订单金额,实付金额\n韩梅梅,13700137001,2026-11-01,茶,100,90\n",
                    encoding="utf-8")
    phones = tmp_path / "phones.csv"
    phones.write_text("姓名,手机,电话\n韩梅梅,13700137001,13700137002\n", encoding="utf-8")
    other = tmp_path / "other"
    assert kehu("init", str(other), "--no-git").code == 0
    for sheet, first, second in ((tmp_path / "all.csv", "'name'", "'Name'"), (sale, "'订单金额'", "'实付金额'")):
        imported = kehu("import", str(sheet), store=other)
        no_traceback(imported)
        assert imported.code == 1, imported.out
        assert f"{sheet.name}:1:" in imported.err and first in imported.err and second in imported.err, imported.err
        assert not list((other / "customers").glob("*/*")), "nothing is imported"
    both = kehu("import", str(phones), store=other)
    assert both.code == 0, both.err
    assert next((other / "customers").glob("*/*/customer.yaml")).read_text(encoding="utf-8").count("+86") == 2


def test_a_phone_or_an_email_is_removed_as_it_was_added(store: tuple[Path, str]) -> None:
    """`customer set ID phones-=138 0013 8000` (the number as `customer show` shows it) removed
    nothing from +8613800138000 and said "updated ...: phones", exit 0, where `phones+=` of it is
    taken as that number; so did `emails-=` in another case, and `tags-=` of a tag not there.
    Each is matched as the field keeps it, and an item matching none is refused, naming what
    there is, the profile unchanged."""
    path, cid = store
    assert kehu("customer", "set", cid, "emails+=li.lei@example.com", store=path).code == 0
    for edit in ("phones-=138 0013 8000", "emails-=Li.Lei@EXAMPLE.com"):
        removed = kehu("customer", "set", cid, edit, store=path)
        assert removed.code == 0, removed.err
    shown = kehu("customer", "show", cid, "--json", store=path).json()
    assert shown["phones"] == [] and shown["emails"] == [], shown
    profile = _folder(path, cid) / "customer.yaml"
    before = profile.read_bytes()
    for edit in ("tags-=vip", "phones-=139 1234 5678"):
        refused = kehu("customer", "set", cid, edit, store=path)
        no_traceback(refused)
        assert refused.code == 1 and "not one of this customer's" in refused.err, (edit, refused.err)
    assert profile.read_bytes() == before


def test_an_email_in_another_case_is_one_address(store: tuple[Path, str]) -> None:
    """`customer set ID emails+=LI@qq.com` beside li@qq.com (and `customer add --email A@qq.com
    --email a@qq.com`) stored both: shown, exported and sent to twice, where `kehu import`, the
    index's lookup and `kehu duplicates` take them for one address. The first spelling is kept."""
    path, cid = store
    for address in ("li@qq.com", "LI@qq.com", "Li@QQ.COM"):
        assert kehu("customer", "set", cid, f"emails+={address}", store=path).code == 0
    assert kehu("customer", "show", cid, "--json", store=path).json()["emails"] == ["li@qq.com"]
    added = kehu("customer", "add", "--name", "韩梅梅", "--email", "Han@qq.com", "--email", "han@qq.com", store=path)
    assert added.code == 0, added.err
    assert kehu("customer", "show", added.out.strip(), "--json", store=path).json()["emails"] == ["Han@qq.com"]


@pytest.mark.parametrize("where", ["customer", "shard"])
def test_a_file_where_a_folder_of_records_belongs_is_found_by_check(store: tuple[Path, str], where: str) -> None:
    """A customer's folder (or the shard folder holding it) replaced by a regular file of the
    same name (a colleague's commit, a tool's): the file was ignored as a `notes.txt` is, so
    `kehu check` said "ok: 0 customers, no problems" while `customer show` of the customer said
    "cannot read: Not a directory". The file is named where the folder belongs."""
    path, cid = store
    folder = _folder(path, cid)
    gone = folder if where == "customer" else folder.parent
    shutil.rmtree(gone)
    gone.write_text("not a folder\n", encoding="utf-8")
    checked = kehu("check", store=path)
    no_traceback(checked)
    assert checked.code == 1, checked.out
    assert f"{gone.relative_to(path)}:1: unexpected file" in checked.out, checked.out


def test_a_file_or_folder_where_a_visit_plan_belongs_is_found_by_check(store: tuple[Path, str]) -> None:
    """`visits/王芳` a regular file (no rep's folder), `visits/王芳/2026-11-20.yaml` a folder: `kehu
    check` said ok, while `kehu visits plan --owner 王芳` failed on each ("cannot read: Not a
    directory", "is a folder"). Each is named by `check`."""
    path, cid = store
    (path / "visits" / "刘洋" / "2026-11-20.yaml").mkdir(parents=True)
    (path / "visits" / "王芳").write_text("x\n", encoding="utf-8")
    for owner in ("王芳", "刘洋"):
        assert kehu("--today", "2026-11-20", "visits", "plan", "--owner", owner, store=path).code == 1
    checked = kehu("check", store=path)
    no_traceback(checked)
    assert checked.code == 1
    named = {line.split(":")[0].split("/visits/")[-1] for line in checked.out.splitlines()}
    assert {"王芳", "刘洋/2026-11-20.yaml"} <= named, checked.out


@pytest.mark.parametrize("given", ["notes.txt", "notes.txt/shop", "/dev/null"])
def test_a_store_named_by_a_file_says_so_and_offers_no_init_that_fails(tmp_path: Path, given: str) -> None:
    """`kehu --store notes.txt customer list` (or `KEHU_STORE=/dev/null`, a path under a file)
    said "not a kehu store (no kehu.yaml); create one with `kehu init notes.txt`", a command
    that refuses a file. It names the file that is no folder instead."""
    (tmp_path / "notes.txt").write_text("x\n", encoding="utf-8")
    target = given if given.startswith("/") else str(tmp_path / given)
    listed = kehu("--store", target, "customer", "list")
    no_traceback(listed)
    assert listed.code == 1
    assert "is no folder" in listed.err and "kehu init" not in listed.err, listed.err
    assert kehu("init", target).code == 1  # what the old message offered


def test_a_gift_of_nothing_is_no_gift_at_any_door(store: tuple[Path, str]) -> None:
    """`purchase add --gift ""` (or `--gift " "`) stored `gifts: ['']`, which `customer show`
    and the purchases export listed as an empty gift, while the TUI's form and an import's empty
    cell leave such a gift out; a hand edit of one passed `kehu check`. A blank gift is none."""
    path, cid = store
    added = kehu("purchase", "add", cid, "--item", "龙井", "--price", "100", "--paid",
                 "--gift", "", "--gift", " ", "--gift", "茶巾", store=path)
    assert added.code == 0, added.err
    pid = added.out.strip().splitlines()[-1]
    record = _folder(path, cid) / "interactions" / f"{pid}.yaml"
    text = record.read_text(encoding="utf-8")
    assert "''" not in text and "' '" not in text, text
    record.write_text(text.replace("- 茶巾", "- 茶巾\n- '   '"), encoding="utf-8")
    assert kehu("check", store=path).code == 0
    shown = kehu("customer", "show", cid, "--json", store=path).json()
    assert [p["gifts"] for p in shown["purchases"] if p["id"] == pid] == [["茶巾"]], shown["purchases"]


def test_a_reminder_line_in_another_customers_ledger_marks_nothing_done(store: tuple[Path, str]) -> None:
    """A `reminders.ledger.yaml` line of customer B whose key names customer A (a line copied by
    hand, a colleague's commit): every ledger's lines were read as one, so A's reminder was done
    (gone from `kehu reminders`) with `kehu check` ok. `kehu reminders done` writes a key into
    the ledger of the customer it names: `check` names the line, and no reader takes it."""
    path, cid = store
    assert kehu("interaction", "add", cid, "--kind", "complaint", "--text", "茶叶受潮", store=path).code == 0
    listed = kehu("reminders", "--days", "30", "--json", store=path)
    key = next(r["key"] for r in listed.json() if r["customer_id"] == cid)
    other = kehu("customer", "add", "--name", "韩梅梅", store=path).out.strip()
    ledger = _folder(path, other) / "reminders.ledger.yaml"
    ledger.write_text(f"- {{date: 2026-11-20, key: '{key}', action: done, id: abcdefghjk}}\n", encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and "reminders.ledger.yaml:1: key:" in checked.out, checked.out
    assert key in [r["key"] for r in kehu("reminders", "--days", "30", "--json", store=path).json()]


def test_a_field_spelt_as_kehus_own_another_way_is_refused_and_named(store: tuple[Path, str]) -> None:
    """A profile's own field `Name` beside `name` (`OWNER`, `credit limit`), by `customer set` or
    by hand: `kehu check` said ok, while its export was a sheet whose two columns an import read
    as one field (the customer came back named by `Name`; such a sheet is refused since). Every
    door that writes a profile refuses one, and `check` names one at its line; a profile that
    already has one is not blocked from an unrelated edit."""
    path, cid = store
    before = tree_hash(path)
    for pair in ("Name=别名", "OWNER=刘洋", "credit__limit=5"):
        refused = kehu("customer", "set", cid, pair, store=path)
        no_traceback(refused)
        assert refused.code == 1 and "spelt as kehu's field" in refused.err, (pair, refused.err)
    assert tree_hash(path) == before
    profile = _folder(path, cid) / "customer.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "Name: 别名\n", encoding="utf-8")
    checked = kehu("check", store=path)
    line = profile.read_text(encoding="utf-8").splitlines().index("Name: 别名") + 1
    assert checked.code == 1 and f"customer.yaml:{line}: Name: spelt as kehu's field name" in checked.out, checked.out
    assert kehu("customer", "set", cid, "title=店长", store=path).code == 0


@pytest.mark.parametrize("field", ["owner", "level", "credit"])
@pytest.mark.parametrize("blank", ["   ", "\u3000", "\u200b"])
def test_an_owner_level_or_credit_grade_of_nothing_is_refused(
        store: tuple[Path, str], field: str, blank: str) -> None:
    """`customer add --owner "   "` (and `customer set ID level= `, a hand edit `credit: ' '`)
    stored a rep no `--owner` filter, handover or visit plan can name, listed as an empty column,
    where the TUI's form and an import's cell of spaces leave the field out. It is refused at
    every door and named by `check` at its line."""
    path, cid = store
    before = tree_hash(path)
    refused = kehu("customer", "set", cid, f"{field}={blank}", store=path)
    no_traceback(refused)
    assert refused.code == 1 and "shows nothing" in refused.err, refused.err
    if field == "owner":
        added = kehu("customer", "add", "--name", "韩梅梅", "--owner", blank, store=path)
        assert added.code == 1 and "shows nothing" in added.err, added.err
    assert tree_hash(path) == before
    profile = _folder(path, cid) / "customer.yaml"
    text = profile.read_text(encoding="utf-8")
    text = text.replace("owner: 王芳", f"owner: '{blank}'") if field == "owner" else text + f"{field}: '{blank}'\n"
    profile.write_text(text, encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{field}: " in checked.out and "shows nothing" in checked.out, checked.out


def test_a_blank_owner_from_a_card_or_a_sheet_is_left_out_as_before(tmp_path: Path) -> None:
    """The doors that took a blank owner for none still do (an empty `X-KEHU-OWNER:`, a cell of
    spaces): the customer is imported without one, not refused for it."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    card = tmp_path / "a.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:甲\r\nTEL:13700137009\r\nX-KEHU-OWNER:   \r\n"
                    "X-KEHU-LEVEL:\r\nEND:VCARD\r\n", encoding="utf-8")
    sheet = tmp_path / "b.csv"
    sheet.write_text("姓名,手机,负责人,等级\n乙,13700137008,   ,\u3000\n", encoding="utf-8")
    for source in (card, sheet):
        imported = kehu("import", str(source), store=path)
        assert imported.code == 0, imported.err
    for profile in (path / "customers").glob("*/*/customer.yaml"):
        text = profile.read_text(encoding="utf-8")
        assert "owner" not in text and "level" not in text, text


@pytest.mark.parametrize("target", ["KEHU.YAML", "Kehu.yaml", "Customers/out.csv", "VISITS/out.csv", ".GitIgnore"])
def test_an_export_over_a_store_file_in_another_case_is_refused(store: tuple[Path, str], target: str) -> None:
    """`kehu export --format csv KEHU.YAML` (or into `Customers/`): on macOS and Windows, whose file
    systems ignore case, that is kehu.yaml itself, a file among the records; kehu compared names
    case by case and wrote it with exit 0 (on Linux a file beside them, a case twin that stopped
    every sync). The store's files are refused in any case."""
    path, _cid = store
    (path / target).parent.mkdir(exist_ok=True)
    before = tree_hash(path)
    for argv in (["export", "--format", "csv"], ["reminders", "--ics"]):
        result = kehu(*argv, str(path / target), store=path)
        no_traceback(result)
        assert result.code == 1 and "is inside the store's records" in result.err, (argv, result.err)
    assert tree_hash(path) == before


def test_a_sheet_repeating_its_header_imports_no_customer_named_by_it(tmp_path: Path) -> None:
    """Two exports joined (`cat a.csv b.csv`, each UTF-8 with a byte order mark) or rows pasted
    under a copy of the header: the header again was imported as a customer named 姓名 (or
    "\\ufeff姓名", the mark kept in the name) tagged 标签, exit 0. It is the header, no row; a
    byte order mark is no content of a cell."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    bom = "\ufeff"
    joined = tmp_path / "joined.csv"
    joined.write_text(f"{bom}姓名,标签\n甲,VIP\n{bom}姓名,标签\n乙,老客户\n姓名 , 标签,\n{bom}丙,茶\n",
                      encoding="utf-8")
    imported = kehu("import", str(joined), store=path)
    assert imported.code == 0, imported.err
    names = sorted(kehu("customer", "list", "--json", store=path).json(), key=lambda c: c["name"])
    assert [c["name"] for c in names] == ["丙", "乙", "甲"], names
