"""The thirteenth outside round (thirteentha, 2026-12-06), kinds 1 to 4: new variants of links
and special files, text read one way and written another, values that pass one door and not
another, and writes that land in the wrong place. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import json
from pathlib import Path

from kehu_core.ids import shard
from kehu_core.store import open_store

from . import test_hostile_limits
from .conftest import kehu
from .test_hostile_twelfth_twelftha import _shop

no_traceback = test_hostile_limits.no_traceback

CAFE, CAFE_NFD = "caf\u00e9", "cafe\u0301"  # one field's name, typed two ways (a macOS file name's is the second)


def _card_import(path: Path, tmp_path: Path, extra: dict[str, str], owner: str = "") -> str:
    """Import a vCard of 李四 (id lisi) holding ``extra`` as its own fields (X-KEHU-EXTRA-FIELDS);
    the text of the profile written."""
    card = tmp_path / "c.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:李四\r\nUID:lisi\r\n"
                    + (f"X-KEHU-OWNER:{owner}\r\n" if owner else "")
                    + f"X-KEHU-EXTRA-FIELDS:{json.dumps(extra, ensure_ascii=False)}\r\nEND:VCARD\r\n",
                    encoding="utf-8")
    imported = kehu("import", str(card), store=path)
    assert imported.code == 0, imported.err
    return (path / "customers" / shard("lisi") / "lisi" / "customer.yaml").read_text(encoding="utf-8")


def test_a_field_name_typed_with_its_accent_two_ways_is_one_field(tmp_path: Path) -> None:
    """A profile's own field `café` written composed by one colleague and decomposed (`e` +
    U+0301, pasted from a macOS file name) by another: `kehu check` said ok, `customer show`
    listed two `café` lines, an export two columns of one name. A field's name is read composed
    (NFC), as a tag's or a rep's is; the two spellings in one profile are one field written
    twice, named by `check` at the second's line; a door given the decomposed name (the plugin
    API, a vCard's extra fields) writes the composed one, in the line the field already has."""
    path, cid = _shop(tmp_path)
    profile = path / "customers" / shard(cid) / cid / "customer.yaml"
    before = profile.read_text(encoding="utf-8")
    profile.write_text(before + f"{CAFE}: 1\n{CAFE_NFD}: 2\n", encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1, checked.out
    line = len(before.splitlines()) + 2
    assert f"{profile}:{line}: " in checked.out and "twice" in checked.out, checked.out
    no_traceback(checked)

    # one spelling, decomposed by hand: read composed by every command
    profile.write_text(before + f"{CAFE_NFD}: 1\n", encoding="utf-8")
    assert kehu("check", store=path).code == 0
    shown = kehu("customer", "show", cid, "--json", store=path).json()
    assert shown.get(CAFE) == 1 and CAFE_NFD not in shown, sorted(shown)
    # the plugin API's write of the composed name changes that line, never adds a second
    store = open_store(path)
    store.update_customer(cid, {CAFE: "2"})
    assert profile.read_text(encoding="utf-8") == before + f"{CAFE}: '2'\n"
    store.update_customer(cid, {CAFE_NFD: "3"})
    assert profile.read_text(encoding="utf-8") == before + f"{CAFE}: '3'\n"
    assert kehu("check", store=path).code == 0

    # a vCard's fields of its own (X-KEHU-EXTRA-FIELDS) given decomposed are stored composed
    written = _card_import(path, tmp_path, {CAFE_NFD: "x"})
    assert f"{CAFE}: x" in written and CAFE_NFD not in written, written


def test_a_confidential_field_typed_decomposed_is_encrypted(tmp_path: Path) -> None:
    """kehu.yaml's `confidential: fields: [café]` and a profile's `café` typed the other way (a
    vCard's extra fields, a hand edit): the value was written in plain text, exit 0, for
    `kehu sync` to share with every clone, as no field of that name was confidential. The two
    are one name (composed, NFC), so it is encrypted whichever way each was typed."""
    from pyrage import x25519

    for listed, given in ((CAFE, CAFE_NFD), (CAFE_NFD, CAFE)):
        path = tmp_path / f"shop{len(listed)}"
        assert kehu("init", str(path)).code == 0
        public = x25519.Identity.generate().to_public()
        with (path / "kehu.yaml").open("a", encoding="utf-8") as config:
            config.write(f"confidential:\n  fields: [{listed}]\n  recipients:\n    王芳: {public}\n")
        written = _card_import(path, tmp_path, {given: "家里开茶馆"}, owner="王芳")
        assert "家里开茶馆" not in written and f"{CAFE}: age:" in written, written
        assert kehu("check", store=path).code == 0


def _age_key(folder: Path, name: str) -> tuple[Path, str]:
    from pyrage import x25519

    identity = x25519.Identity.generate()
    path = folder / f"{name}.txt"
    path.write_text(f"{identity}\n", encoding="utf-8")
    return path, str(identity.to_public())


def test_a_recipient_named_as_the_owner_another_way_reads_their_customers(tmp_path: Path) -> None:
    """A rep's name under kehu.yaml's `confidential: recipients:` (`kehu keys add`, a hand
    edit) typed decomposed (`José` pasted from a macOS file name) or with a space at its end,
    while the customers' `owner` is stored composed and trimmed (keytext): José's key did not
    open José's own customers' confidential fields (🔒 encrypted, exit 0), nor did `kehu keys
    remove José` find the name. A rep's name in kehu.yaml is read as an owner is."""
    jose, jose_public = _age_key(tmp_path, "jose")
    boss, boss_public = _age_key(tmp_path, "boss")
    for n, typed in enumerate(("Jose\u0301", "José ", " Jose\u0301")):
        path = tmp_path / f"shop{n}"
        assert kehu("init", str(path)).code == 0
        added = kehu("keys", "add", typed, jose_public, store=path)
        assert added.code == 0, added.err
        assert kehu("keys", "add", "主管", boss_public, "--supervisor", store=path).code == 0
        assert kehu("customer", "add", "--name", "甲", "--id", "jia", "--owner", "José", store=path).code == 0
        assert kehu("customer", "set", "jia", "family=家里开茶馆", store=path).code == 0
        shown = kehu("--identity", str(jose), "customer", "show", "jia", store=path)
        assert "家里开茶馆" in shown.out, (typed, shown.out)
        assert kehu("--identity", str(boss), "customer", "show", "jia", store=path).out.count("家里开茶馆") == 1
        assert kehu("check", store=path).code == 0
        removed = kehu("keys", "remove", "José", store=path)
        assert removed.code == 0, removed.err
        assert "Jos" not in (path / "kehu.yaml").read_text(encoding="utf-8")
    # one rep twice under recipients, typed two ways by hand: named, not one key silently lost
    config = path / "kehu.yaml"
    twice = f"  recipients:\n    José: {jose_public}\n    Jose\u0301: {boss_public}\n"
    config.write_text(config.read_text(encoding="utf-8").replace("  recipients:\n", twice), encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and "written twice" in checked.out + checked.err, checked.out + checked.err
    no_traceback(checked)


def test_a_set_of_a_confidential_field_says_it_changed_it(tmp_path: Path) -> None:
    """`customer set ID family=…` of a confidential field wrote the value, encrypted, and said
    "nothing to change in ID: family already as given", exit 0: both sides of the comparison
    read the field as kehu reads a sealed one, None. A user told nothing changed types it again,
    or thinks the note lost. It says what it wrote, and still says when nothing changed."""
    path, cid = _shop(tmp_path)
    _key, public = _age_key(tmp_path, "wang")
    assert kehu("keys", "add", "王芳", public, store=path).code == 0
    profile = path / "customers" / shard(cid) / cid / "customer.yaml"
    for text in ("家里开茶馆", "女儿在杭州"):
        before = profile.read_text(encoding="utf-8")
        said = kehu("customer", "set", cid, f"family={text}", store=path)
        assert said.code == 0 and said.err.strip() == f"updated {cid}: family", said.err
        assert profile.read_text(encoding="utf-8") != before
    same = kehu("customer", "set", cid, "nickname=小张", "family=", store=path)
    assert same.err.strip() == f"updated {cid}: nickname, family", same.err
    again = kehu("customer", "set", cid, "nickname=小张", store=path)
    assert "nothing to change" in again.err, again.err


def test_customer_set_takes_a_field_named_in_chinese(tmp_path: Path) -> None:
    """`customer set ID 微信=wx123` (a field of the shop's own, named as its people name it) was
    a usage error, "'微信=wx123': expected FIELD=VALUE", though it is one: the command took
    only ASCII names, while a hand edit, a vCard's fields and `kehu check` take any, so a field
    a colleague added could be neither changed nor removed (`微信=`) but by hand. A field's name
    is any text the model takes (one line, no control character)."""
    path, cid = _shop(tmp_path)
    profile = path / "customers" / shard(cid) / cid / "customer.yaml"
    said = kehu("customer", "set", cid, "微信=wx123", "café=1", store=path)
    assert said.code == 0, said.err
    assert kehu("customer", "show", cid, "--json", store=path).json()["微信"] == "wx123"
    assert kehu("customer", "set", cid, " 微信 =wx456", store=path).code == 0
    assert "微信: wx456" in profile.read_text(encoding="utf-8")
    assert kehu("customer", "set", cid, f"{CAFE_NFD}=2", store=path).code == 0  # the same field
    assert kehu("customer", "set", cid, "微信=", f"{CAFE}=", store=path).code == 0
    assert "微信" not in profile.read_text(encoding="utf-8") and "caf" not in profile.read_text(encoding="utf-8")
    before = profile.read_text(encoding="utf-8")
    for bad in ("=x", " =x", "a\nb=x", "\u3000=x"):
        refused = kehu("customer", "set", cid, bad, store=path)
        assert refused.code == 2 and "customer.yaml" not in refused.err, (bad, refused.err)  # the argument's fault
        no_traceback(refused)
    assert profile.read_text(encoding="utf-8") == before


def test_a_field_whose_name_shows_nothing_is_named(tmp_path: Path) -> None:
    """A profile field named `""`, `" "`, an ideographic space or a zero-width space (a hand
    edit, `customer set ID $'\\u200b'=x`, a vCard's extra fields): `kehu check` said ok,
    `customer show` printed a row of a value with no label, and an export a column with no
    header. A field's name shows something, as a customer's name does; `check` names it at its
    line and every door refuses it."""
    path, cid = _shop(tmp_path)
    profile = path / "customers" / shard(cid) / cid / "customer.yaml"
    before = profile.read_text(encoding="utf-8")
    for name in ('""', '" "', '"\\u3000"', '"\\u200b"', '"\\u200b "'):
        profile.write_text(before + f"{name}: 微信号\n", encoding="utf-8")
        checked = kehu("check", store=path)
        assert checked.code == 1 and f"{profile}:{len(before.splitlines()) + 1}: " in checked.out, (name, checked.out)
        assert "shows nothing" in checked.out, checked.out
    profile.write_text(before, encoding="utf-8")
    refused = kehu("customer", "set", cid, "\u200b=x", store=path)
    assert refused.code == 2 and "shows nothing" in refused.err, refused.err  # the argument named
    assert profile.read_text(encoding="utf-8") == before


def test_a_reminder_or_tier_setting_past_kehus_dates_is_named_at_its_line(tmp_path: Path) -> None:
    """kehu.yaml's `plugins: reminders:` day settings (`touch: every_days`, `dormant: days`,
    `birthday: lead_days`, `spread_days` of 10^12; `key_visits: every_days` of 0) and `plugins:
    tiering:`'s `window_days: 10^12` or `as_of: 9999-12-31`, shared by every clone: `kehu check`
    said ok, then `kehu tier` ended in "internal error: OverflowError" and every `reminders`,
    `customer show`, `visits plan` said the plugin failed (OverflowError, ZeroDivisionError),
    its rule off for the whole team. Each is bounded as `--days` is and named at its line."""
    path, cid = _shop(tmp_path)
    config = path / "kehu.yaml"
    before = config.read_text(encoding="utf-8")
    for section, setting in (("reminders", "touch: {every_days: 999999999999}"),
                             ("reminders", "dormant: {days: 999999999999}"),
                             ("reminders", "birthday: {lead_days: 999999999999}"),
                             ("reminders", "spread_days: 999999999999"),
                             ("reminders", "key_visits: {every_days: {重要客户: 0}}"),
                             ("tiering", "window_days: 999999999999"),
                             ("tiering", "as_of: 9999-12-31")):
        config.write_text(before.replace("plugins:\n", f"plugins:\n  {section}:\n    {setting}\n"), encoding="utf-8")
        line = config.read_text(encoding="utf-8").splitlines().index(f"    {setting}") + 1
        checked = kehu("check", store=path)
        assert checked.code == 1 and f"kehu.yaml:{line}: plugins.{section}." in checked.out + checked.err, \
            (setting, checked.out + checked.err)
        for command in (("tier",), ("reminders",), ("customer", "show", cid)):
            ran = kehu(*command, store=path)
            assert ran.code == 1 and f"kehu.yaml:{line}:" in ran.err, (setting, command, ran.err)
            assert "internal error" not in ran.err and "failed" not in ran.err, ran.err
            no_traceback(ran)


def test_a_visit_plan_edited_by_hand_is_read_whole_or_named(tmp_path: Path) -> None:
    """A rep's plan of the day (`visits/王芳/2026-11-20.yaml`, shared by `kehu sync`) edited by
    hand with a typo'd list (`remvoe:`, `Remove:`), or holding another day's `date:` or another
    rep's `owner:` (a file copied to make tomorrow's plan): `kehu check` said ok and `kehu visits
    plan` went on without the removal, the customer visited after all. Each is named at its
    line, by `check` and by the plan, as a segment's typo'd condition is."""
    path, cid = _shop(tmp_path)
    assert kehu("customer", "add", "--name", "李四", "--id", "lisi", "--owner", "王芳", store=path).code == 0
    assert kehu("visits", "plan", "--owner", "王芳", "--date", "2026-11-20", "--add", cid, store=path).code == 0
    plan = path / "visits" / "王芳" / "2026-11-20.yaml"
    written = plan.read_text(encoding="utf-8")
    for edit, line in ((f"remvoe:\n- {cid}\n", 6), (f"Remove:\n- {cid}\n", 6),
                       ("", 2), ("", 3)):
        text = written + edit
        if line == 2:
            text = text.replace("owner: 王芳", "owner: 李四")
        elif line == 3:
            text = text.replace("date: 2026-11-20", "date: 2026-11-21")
        plan.write_text(text, encoding="utf-8")
        checked = kehu("check", store=path)
        assert checked.code == 1 and f"{plan}:{line}: " in checked.out, (edit, line, checked.out)
        planned = kehu("visits", "plan", "--owner", "王芳", "--date", "2026-11-20", store=path)
        assert planned.code == 1 and f"{plan}:{line}: " in planned.err, planned.err
        no_traceback(planned)
    plan.write_text(written, encoding="utf-8")
    assert kehu("check", store=path).code == 0


def test_a_change_whose_undo_journal_cannot_be_written_says_it_was_made(tmp_path: Path) -> None:
    """The undo journal (`.kehu/journal/`) unwritable while the records are not (a colleague's
    `sudo kehu …` once made it root's, a disk full to the byte the before-images need, the
    process out of file handles): `customer set` and `purchase add` wrote the change, printed
    "updated" or the new purchase's id, then ended "kehu: …/journal/00000002.json: Operation
    not permitted", exit 1 — a script retried and recorded the sale twice. The change stands
    and kehu says so, exit 0, with the warning that `kehu undo` cannot take it back."""
    import shutil
    import subprocess

    path, cid = _shop(tmp_path)
    journal = path / ".kehu" / "journal"
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(journal)], capture_output=True).returncode != 0:
        import pytest

        pytest.skip("no chattr +i here (needs root and a file system that keeps the flag)")
    try:
        said = kehu("customer", "set", cid, "nickname=小张", store=path)
        sold = kehu("purchase", "add", cid, "--date", "2026-11-01", "--item", "茶", "--amount", "5", store=path)
    finally:
        subprocess.run([chattr, "-i", str(journal)], check=True)
    for result in (said, sold):
        assert result.code == 0, result.err
        assert "kehu undo" in result.err and "journal" in result.err, result.err
        no_traceback(result)
    assert kehu("customer", "show", cid, "--json", store=path).json()["nickname"] == "小张"
    assert len(kehu("customer", "show", cid, "--json", store=path).json()["purchases"]) == 1
    assert kehu("check", store=path).code == 0


def test_a_level_named_in_kehu_yaml_another_way_keeps_its_credit_and_points(tmp_path: Path) -> None:
    """kehu.yaml's `credit: levels:` and `plugins: points: multipliers:` name a member level as
    customers' `level:` holds it, and a customer's level is stored trimmed and composed
    (keytext): a level written there decomposed (`Café` pasted from a macOS file name) or with a
    space (`" 金卡 "`) matched nobody, so those customers had no credit limit at all ("no
    limit", sales on credit never refused) and no points multiplier, with `kehu check` ok. They
    are read as a stored level is; two spellings of one level are named."""
    path, _cid = _shop(tmp_path)
    assert kehu("customer", "add", "--name", "甲", "--id", "jia", "--level", CAFE, store=path).code == 0
    assert kehu("customer", "add", "--name", "乙", "--id", "yi", "--level", "金卡", store=path).code == 0
    config = path / "kehu.yaml"
    before = config.read_text(encoding="utf-8")
    config.write_text(before.replace("plugins:\n", f"plugins:\n  points:\n    multipliers: {{'{CAFE_NFD}': 2}}\n")
                      + f"credit:\n  levels:\n    {CAFE_NFD}: {{limit: 5000}}\n    ' 金卡 ': {{limit: 3000}}\n",
                      encoding="utf-8")
    assert kehu("check", store=path).code == 0
    assert "5,000.00" in kehu("customer", "show", "jia", store=path).out
    assert "3,000.00" in kehu("customer", "show", "yi", store=path).out
    sold = kehu("purchase", "add", "jia", "--date", "2026-11-01", "--item", "茶", "--amount", "100", "--paid",
                store=path)
    assert sold.code == 0, sold.err
    assert kehu("points", "show", "jia", "--json", store=path).json()["balance"] == 200
    config.write_text(before + f"credit:\n  levels:\n    {CAFE_NFD}: {{limit: 5000}}\n    {CAFE}: {{limit: 1}}\n",
                      encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and "written twice" in checked.out + checked.err, checked.out + checked.err


def test_a_segment_named_in_kehu_yaml_decomposed_is_found_as_typed(tmp_path: Path) -> None:
    """A segment of kehu.yaml named `café` decomposed (a colleague's Mac), asked for as typed on
    another machine (`kehu segment show café`, `kehu send --segment café`): "no segment 'café';
    known: …, café, …", exit 1, the name it could not find listed among those it knew. A
    segment's name is found however its accent was typed, and one name written twice so is
    named by `check`."""
    path, _cid = _shop(tmp_path)
    config = path / "kehu.yaml"
    before = config.read_text(encoding="utf-8")
    config.write_text(before + f"segments:\n  {CAFE_NFD}:\n    tag: VIP\n", encoding="utf-8")
    assert kehu("check", store=path).code == 0
    for typed in (CAFE, CAFE_NFD, f" {CAFE} "):
        shown = kehu("segment", "show", typed, store=path)
        assert shown.code == 0, (typed, shown.err)
    twice = f"segments:\n  {CAFE_NFD}:\n    tag: VIP\n  {CAFE}:\n    tag: 老客户\n"
    config.write_text(before + twice, encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"kehu.yaml:{len(before.splitlines()) + 4}: " in checked.out + checked.err, \
        checked.out + checked.err
    assert "written twice" in checked.out + checked.err


def test_a_credit_limit_is_typed_as_an_amount_is(tmp_path: Path) -> None:
    """`customer set ID credit_limit=¥5,000` (or `5,000`, `5000元`) and a sheet's `credit_limit`
    cell so written: refused, "Input should be a valid decimal", while `purchase add --amount
    ¥5,000` and a sale's cell take the same text; and `credit_limit=-0` was stored as `-0`.
    A profile's money is read by the one rule of typed money (`money.amount_text`)."""
    path, cid = _shop(tmp_path)
    profile = path / "customers" / shard(cid) / cid / "customer.yaml"
    for typed in ("¥5,000", "5,000", "5000元", "５０００"):
        said = kehu("customer", "set", cid, "credit_limit=1", store=path)
        said = kehu("customer", "set", cid, f"credit_limit={typed}", store=path)
        assert said.code == 0, (typed, said.err)
        assert "credit_limit: 5000\n" in profile.read_text(encoding="utf-8"), typed
    assert kehu("customer", "set", cid, "credit_limit=-0", store=path).code == 0
    assert "credit_limit: 0\n" in profile.read_text(encoding="utf-8")
    refused = kehu("customer", "set", cid, "credit_limit=1,5", store=path)  # a decimal comma: never ¥15
    assert refused.code == 1, refused.err
    sheet = tmp_path / "s.csv"
    sheet.write_text('name,phones,credit_limit\n李四,13912345600,"¥3,000"\n', encoding="utf-8")
    imported = kehu("import", str(sheet), store=path)
    assert imported.code == 0 and "0 failed" in imported.out + imported.err, imported.out + imported.err


def test_an_htpasswd_file_inside_the_store_is_never_pushed(tmp_path: Path) -> None:
    """kehu.yaml's `serve: htpasswd: users.htpasswd` (relative to the store, as the docs' example
    has it) with the file in the store's folder: `kehu sync` committed and pushed the logins'
    bcrypt password hashes to the team's remote, where every clone and the git host hold them.
    A sync keeps that file out of its commit and says so; in `.kehu/` or ignored by git, it is
    nothing to say."""
    import subprocess

    from .conftest import git

    path, _cid = _shop(tmp_path)
    (path / "users.htpasswd").write_text("wf:$2y$05$abcdefghijklmnopqrstuuJ8vdZ1Ok4G2Bj2pKp0qS8b7HTHtv6f6\n",
                                         encoding="utf-8")
    config = path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "serve:\n  htpasswd: users.htpasswd\n  users:\n"
                      "    wf: {rep: 王芳}\n", encoding="utf-8")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(path, "remote", "add", "origin", str(remote))
    synced = kehu("sync", store=path)
    assert synced.code == 0, synced.out + synced.err
    assert "users.htpasswd" in synced.out + synced.err, synced.out + synced.err
    pushed = subprocess.run(["git", "-C", str(remote), "log", "--all", "--name-only", "--format="],
                            capture_output=True, text=True).stdout
    assert "users.htpasswd" not in pushed and "kehu.yaml" in pushed, pushed
    assert (path / "users.htpasswd").is_file()


def test_a_workbook_of_formulas_nobody_calculated_is_refused_not_read_as_empty(tmp_path: Path) -> None:
    """An .xlsx written by a script (openpyxl, a web system's report) whose cells hold formulas
    and no value, as no program calculated them (`="139"&"12345678"` for a phone): `kehu
    import` read each such cell as empty, exit 0 — 张三 stored without the phone, the note
    gone. Such a workbook is refused, naming the sheet and the cell, nothing written; a
    formula whose calculated value is empty text (Excel's `IF(…,"",…)`) is still read."""
    import zipfile

    import openpyxl

    path, _cid = _shop(tmp_path)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "客户"
    sheet.append(["姓名", "手机", "备注"])
    sheet.append(["李四", '="139"&"12345678"', '=A2&"的备注"'])
    made = tmp_path / "made.xlsx"
    book.save(made)
    before = sorted(p.relative_to(path) for p in (path / "customers").rglob("*"))
    refused = kehu("import", str(made), store=path)
    assert refused.code == 1 and "B2" in refused.out + refused.err and "客户" in refused.out + refused.err, \
        refused.out + refused.err
    no_traceback(refused)
    assert sorted(p.relative_to(path) for p in (path / "customers").rglob("*")) == before
    # Excel's own: a formula whose value is empty text is written t="str" with an empty <v>
    calculated = tmp_path / "calculated.xlsx"
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(calculated, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="B2"><f>"139"&amp;"12345678"</f><v></v></c>',
                                    b'<c r="B2" t="str"><f>"139"&amp;"12345678"</f><v>13912345678</v></c>')
                data = data.replace(b'<c r="C2"><f>', b'<c r="C2" t="str"><f>')
            out.writestr(info, data)
    imported = kehu("import", str(calculated), store=path)
    assert imported.code == 0, imported.out + imported.err


def test_a_reminder_setting_naming_no_tier_is_named_at_its_line(tmp_path: Path) -> None:
    """kehu.yaml's `plugins: reminders: key_visits: every_days: {重要客户s: 30}` (a typo, or a tier
    of another scheme) and `holidays: tiers: [VIP]` where no tier is so named: `kehu check` said
    ok and the rule reminded of nobody — the key accounts never visited, no greeting sent —,
    without a word. Each name is named at its line, as `visits: dormant_tiers` and a segment's
    `tier:` are."""
    path, _cid = _shop(tmp_path)
    config = path / "kehu.yaml"
    before = config.read_text(encoding="utf-8")
    for setting, at in (("key_visits:\n      every_days: {重要客户s: 30}", 2),
                        ("holidays:\n      tiers: [重要客户, VIP]", 2)):
        config.write_text(before.replace("plugins:\n", f"plugins:\n  reminders:\n    {setting}\n"), encoding="utf-8")
        line = before.splitlines().index("plugins:") + 1 + at + 1
        checked = kehu("check", store=path)
        assert checked.code == 1 and f"kehu.yaml:{line}: plugins.reminders." in checked.out + checked.err, \
            (setting, checked.out + checked.err)
        assert "重要客户s" in checked.out + checked.err or "VIP" in checked.out + checked.err
    config.write_text(before.replace("plugins:\n", "plugins:\n  reminders:\n    key_visits:\n"
                                     "      every_days: {重要客户: 30}\n"), encoding="utf-8")
    assert kehu("check", store=path).code == 0
