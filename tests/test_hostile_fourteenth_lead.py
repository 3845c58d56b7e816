"""Fourteenth round, the lead's finds (issue 16). Each failed on the code before its fix; see
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from .conftest import kehu
from .test_confidential import keyfile
from .test_hostile import tree_hash
from .test_hostile_limits import base, no_traceback, store  # noqa: F401 (fixtures)

AGE_KEY = "age1q5pdzy00dsv3fgdysvtwrmyuzug9a6ucq5djwgscvvw7yrzgyqlqzhx5t7"
BOSS_KEY = "age1cgrfmcet9ph4ywex4ax9c7desmm2rg0naywepxwywdf939gtvymsn5qa3f"


def _confidential(path: Path, text: str) -> None:
    with (path / "kehu.yaml").open("a", encoding="utf-8") as config:
        config.write(text)


def test_a_misspelt_confidential_field_is_a_warning_of_check(store: tuple[Path, str]) -> None:  # noqa: F811
    """`confidential: fields: [phnoes]` (meant: phones) encrypted nothing: every phone stayed
    in plain text, pushed to the remote, with `kehu check` ok. A name no profile holds that is
    close to a field kehu or the store knows is a warning at its line, naming the field meant;
    a field of the shop's own that no customer has yet (id_card) is not, nor one a customer holds."""
    path, _ = store
    _confidential(path, f"confidential:\n  fields: [phnoes, id_card, hobby]\n"
                        f"  recipients:\n    王芳: {AGE_KEY}\n")
    assert kehu("customer", "add", "--name", "韩梅梅", "--owner", "王芳", "--set", "hobbys=chess",
                store=path).code == 0
    result = kehu("check", store=path)
    no_traceback(result)
    assert result.code == 0, result.out + result.err
    lines = [line for line in result.out.splitlines() if "warning" in line]
    assert len(lines) == 2, result.out
    config_lines = (path / "kehu.yaml").read_text(encoding="utf-8").splitlines()
    where = next(n for n, line in enumerate(config_lines, 1) if "phnoes" in line)
    phones = next(line for line in lines if "'phnoes'" in line)
    assert phones.startswith(f"{path / 'kehu.yaml'}:{where}: warning:") and "'phones'" in phones, phones
    hobby = next(line for line in lines if "'hobby'" in line)
    assert "'hobbys'" in hobby, hobby
    assert "id_card" not in result.out
    assert "2 warnings" in result.err


def test_a_supervisor_written_twice_two_ways_is_named(store: tuple[Path, str]) -> None:  # noqa: F811
    """`supervisors: [José, José]`, once composed and once with the accent as a mark of its own,
    was one supervisor without a word, while a recipient or a level written so is refused by
    name: the kehu.yaml was not what its writer thought. Now it is a problem naming both, as
    for recipients and levels; nothing is written."""
    path, _ = store
    composed = unicodedata.normalize("NFC", "José")
    decomposed = unicodedata.normalize("NFD", "José")
    _confidential(path, f"confidential:\n  fields: [hobby]\n  recipients:\n    {composed}: {AGE_KEY}\n"
                        f"    王芳: {BOSS_KEY}\n  supervisors: [{composed}, {decomposed}]\n")
    before = tree_hash(path)
    result = kehu("check", store=path)
    no_traceback(result)
    assert result.code == 1
    assert "written twice" in result.out + result.err and repr(decomposed) in result.out + result.err
    assert tree_hash(path) == before


def test_a_confidential_field_held_only_encrypted_is_no_slip(store: tuple[Path, str], tmp_path: Path) -> None:  # noqa: F811
    """An encrypted field is never in the index: a shop's own `hobbi` held encrypted by its
    customers, beside a plain `hobby` of others, is no slip of the keyboard and not named."""
    path, _ = store
    _key, public = keyfile(tmp_path, "wang")
    _confidential(path, f"confidential:\n  fields: [hobbi]\n  recipients:\n    王芳: {public}\n")
    assert kehu("customer", "add", "--name", "韩梅梅", "--owner", "王芳", "--set", "hobbi=chess",
                store=path).code == 0
    assert kehu("customer", "add", "--name", "李华", "--owner", "王芳", "--set", "hobby=go", store=path).code == 0
    assert "age:" in next(p for p in (path / "customers").rglob("customer.yaml")
                          if "韩梅梅" in p.read_text(encoding="utf-8")).read_text(encoding="utf-8")
    result = kehu("check", store=path)
    assert result.code == 0 and "warning" not in result.out + result.err, result.out + result.err


def _tiers(path: Path, names: str) -> None:
    text = (path / "kehu.yaml").read_text(encoding="utf-8")
    assert "plugins:\n" in text
    text = text.replace("plugins:\n", f"plugins:\n  tiering:\n    pyramid:\n      names: {names}\n", 1)
    (path / "kehu.yaml").write_text(text, encoding="utf-8")


def test_a_tier_name_with_a_space_still_gets_its_key_visits(store: tuple[Path, str]) -> None:  # noqa: F811
    """`names: ["重要客户 ", ...]` (a space typed after the name) made a tier that no reminder rule
    named: the key account's visits every 30 days were never reminded, with `kehu check` ok.
    A tier's name is read as the names that match it are: trimmed and composed."""
    path, cid = store
    _tiers(path, '["重要客户 ", 主要客户, 普通客户, 新客户]')
    assert kehu("purchase", "add", cid, "--amount", "900", store=path).code == 0
    for n in range(1, 5):  # the top of five is the key account
        other = kehu("customer", "add", "--name", f"客{n}", "--phone", f"1390013900{n}", store=path).out.strip()
        assert kehu("purchase", "add", other, "--amount", str(n * 100), store=path).code == 0
    result = kehu("reminders", "--rule", "visit", "--days", "60", store=path)
    no_traceback(result)
    assert result.code == 0 and cid in result.out and "visit (重要客户)" in result.out, result.out + result.err
    assert kehu("check", store=path).code == 0


def test_two_tiers_of_one_name_are_a_problem_at_their_line(store: tuple[Path, str]) -> None:  # noqa: F811
    """Two tiers named alike (`普通客户` twice, once with a space at its end) counted their
    customers as one and made each move between them unseen, with `kehu check` ok. Now check
    names it at the names' line and every command refuses the settings, as any bad setting."""
    path, _ = store
    _tiers(path, '[重要客户, 主要客户, 普通客户, "普通客户 "]')
    before = tree_hash(path)
    result = kehu("check", store=path)
    no_traceback(result)
    where = next(n for n, line in enumerate((path / "kehu.yaml").read_text(encoding="utf-8").splitlines(), 1)
                 if "names:" in line)
    assert result.code == 1
    assert f"kehu.yaml:{where}: plugins.tiering.pyramid.names: '普通客户' is the name of two tiers" in result.err
    assert kehu("tier", store=path).code == 1
    assert tree_hash(path) == before


def _purchases(path: Path, cid: str) -> list[dict]:
    import json

    shown = kehu("customer", "show", cid, "--json", store=path)
    assert shown.code == 0, shown.err
    return sorted(json.loads(shown.out)["purchases"], key=lambda p: str(p.get("amount")))


def _owed(path: Path) -> str:
    result = kehu("report", "receivables", store=path)
    assert result.code == 0, result.err
    return next(line for line in result.out.splitlines() if "unpaid" in line).strip()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_purchases_export_imported_into_a_new_store_keeps_items_and_part_payments(
        store: tuple[Path, str], tmp_path: Path, kind: str) -> None:  # noqa: F811
    """The purchases sheet (`kehu export --what purchases`) moved to a new store with `kehu
    import`: a sale of 茶叶 ×3 at 50 and 茶杯 ×2 at 10 came back as one product named
    "茶叶×3; 茶杯×2" (the hot-products report counted a product nobody sells), and ¥100 paid of
    ¥170 was lost: the new store's receivables said ¥170 owed, exit 0. Each item, its quantity
    and price, and each payment (day, amount) now go through the sheet; importing it again adds
    nothing. An item whose name holds the `;` between items goes through too."""
    path, cid = store
    sale = kehu("purchase", "add", cid, "--item", "茶叶", "--qty", "3", "--price", "50", "--item", "茶杯",
                "--qty", "2", "--price", "10", "--item", "礼盒; 含茶巾", "--qty", "1", "--price", "0",
                "--amount", "170", "--unpaid", store=path)
    assert sale.code == 0, sale.err
    pid = sale.out.strip().splitlines()[-1]
    assert kehu("purchase", "pay", cid, pid, "--amount", "100", "--date", "2026-11-20", store=path).code == 0
    assert kehu("purchase", "add", cid, "--amount", "80", "--paid", store=path).code == 0
    sheet = tmp_path / f"sales.{kind}"
    assert kehu("export", "--format", kind, "--what", "purchases", str(sheet), store=path).code == 0
    other = tmp_path / "other"
    assert kehu("init", str(other), "--no-git").code == 0
    imported = kehu("import", str(sheet), store=other)
    no_traceback(imported)
    assert imported.code == 0, imported.out + imported.err
    before, after = _purchases(path, cid), _purchases(other, cid)
    assert len(after) == 2
    for old, new in zip(before, after, strict=True):
        assert [(i["name"], float(i["qty"]), i.get("price") and float(i["price"])) for i in new["items"]] == \
            [(i["name"], float(i["qty"]), i.get("price") and float(i["price"])) for i in old["items"]]
        assert [(p["date"], float(p["amount"])) for p in new.get("payments") or []] == \
            [(p["date"], float(p["amount"])) for p in old.get("payments") or []]
    assert _owed(other) == _owed(path)
    again = kehu("import", str(sheet), store=other)
    assert again.code == 0 and "0 purchases added" in again.out + again.err, again.out + again.err


def test_a_shops_own_sheet_reads_as_before_and_a_bad_payment_cell_is_named(
        store: tuple[Path, str], tmp_path: Path) -> None:  # noqa: F811
    """The purchases sheet's new cells read only what they say: a shop's 购买商品 cell with a `;`
    in it and one quantity is one product, as before; a 付款记录 cell that is no payment
    refuses its row naming the column and the text, and nothing of it is stored."""
    path, _ = store
    sheet = tmp_path / "sales.csv"
    sheet.write_text("交易日期,真实姓名,联系电话,购买商品,数量,成交金额,是否付款,付款记录\n"
                     "2026-11-01,王五,13700137000,金骏眉; 安吉白茶,2,500,是,\n"
                     "2026-11-02,赵六,13600136000,茶杯,1,90,否,昨天付了\n", encoding="utf-8")
    result = kehu("import", str(sheet), store=path)
    no_traceback(result)
    said = result.out + result.err
    assert "sales.csv:3" in said and "付款记录" in said and "'昨天付了'" in said, said
    listed = kehu("customer", "list", "--json", store=path).out
    assert "王五" in listed and "赵六" not in listed
    import json

    wang = next(c["id"] for c in json.loads(listed) if c["name"] == "王五")
    [sale] = _purchases(path, wang)
    assert [(i["name"], float(i["qty"])) for i in sale["items"]] == [("金骏眉; 安吉白茶", 2.0)]


HASH = "wangfang:$2b$12$abcdefghijklmnopqrstuuQ0bB3v1bYb2c3d4e5f6g7h8i9j0k1l2m\n"


def test_an_htpasswd_already_committed_is_named_by_check_and_sync(tmp_path: Path) -> None:
    """`serve: htpasswd: users.htpasswd` committed by hand before kehu kept it out (`git add .`):
    the logins' password hashes were on the remote for good, while `kehu sync` said it "is kept
    out of the commit" and `kehu check` said ok. Both now say it is in git's history (the
    commit), and what to do: untrack it, ignore it, change the passwords. After that, a sync
    commits the untracking, and check no longer warns."""
    from .conftest import git
    from .test_team_merge import first_clone

    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    path = first_clone(tmp_path, remote)
    (path / "users.htpasswd").write_text(HASH, encoding="utf-8")
    git(path, "add", "users.htpasswd")
    git(path, "commit", "-qm", "logins")
    commit = git(path, "rev-parse", "--short", "HEAD").strip()
    _confidential(path, "serve:\n  htpasswd: users.htpasswd\n  users:\n    wangfang: {rep: 王芳}\n")
    where = len((path / "kehu.yaml").read_text(encoding="utf-8").splitlines()) - 2
    checked = kehu("check", store=path)
    assert checked.code == 0, checked.out + checked.err
    warned = [line for line in checked.out.splitlines() if "warning" in line]
    assert len(warned) == 1 and warned[0].startswith(f"{path / 'kehu.yaml'}:{where}: warning:"), checked.out
    assert commit in warned[0] and "git rm --cached users.htpasswd" in warned[0], warned
    synced = kehu("sync", store=path)
    assert synced.code == 0, synced.out + synced.err
    said = synced.out + synced.err
    assert "is kept out of the commit" not in said and commit in said and "history" in said, said
    git(path, "rm", "-q", "--cached", "users.htpasswd")
    with (path / ".gitignore").open("a", encoding="utf-8") as ignore:
        ignore.write("users.htpasswd\n")
    synced = kehu("sync", store=path)
    assert synced.code == 0, synced.out + synced.err
    assert "users.htpasswd" not in git(path, "ls-files")
    assert (path / "users.htpasswd").read_text(encoding="utf-8") == HASH
    assert git(tmp_path, "--git-dir", str(remote), "ls-tree", "-r", "--name-only", "HEAD").count("htpasswd") == 0
    assert "warning" not in kehu("check", store=path).out  # told once it was shared: no warning for ever


def test_a_handover_to_a_name_of_two_lines_names_the_argument(store: tuple[Path, str]) -> None:  # noqa: F811
    """`kehu handover 王芳 $'李\\n四'` (a paste with its line break) was refused with the first
    customer's file and line, "customer.yaml:5: owner: holds the line break", as if that file
    were broken. The message now names TO_REP and the owner rule; exit 2, nothing written."""
    path, _ = store
    before = tree_hash(path)
    result = kehu("handover", "王芳", "李\n四", store=path)
    no_traceback(result)
    assert result.code == 2 and "TO_REP" in result.err and "customer.yaml" not in result.err, result.err
    assert tree_hash(path) == before


def test_an_imported_payment_dated_after_today_is_refused_with_its_row(store: tuple[Path, str], tmp_path: Path) -> None:  # noqa: F811
    """A 付款记录 cell paying next year (`2027-01-01 50.00`, a typo for this year) was stored,
    though `kehu purchase pay --date` refuses a day after today: the sale counted as half paid
    a month early. The row is refused naming the payment's day, as a purchase dated so is;
    `--allow-future` takes it, as for a purchase."""
    path, _ = store
    sheet = tmp_path / "sales.csv"
    sheet.write_text("交易日期,真实姓名,联系电话,购买商品,数量,成交金额,是否付款,付款记录\n"
                     "2026-11-01,丙,13700137003,茶,1,100,否,2027-01-01 50.00\n", encoding="utf-8")
    result = kehu("import", str(sheet), store=path)
    no_traceback(result)
    said = result.out + result.err
    assert result.code == 1 and "sales.csv:2" in said and "payment date 2027-01-01 is after today" in said, said
    assert "丙" not in kehu("customer", "list", store=path).out
    assert kehu("import", "--allow-future", str(sheet), store=path).code == 0


def test_duplicates_of_one_name_held_by_many_are_the_groups_every_pair_makes(tmp_path: Path) -> None:
    """`kehu duplicates` compared every two customers of one name: 6 000 `微信用户` of a dirty
    import took 32 s (bench/dedupe_one_name.py). It now puts phones in buckets of what similar
    ones share; the groups are the ones comparing every pair makes: the same customers, each
    linked pair truly similar, none missed (one digit apart, the same last 8 digits, several
    phones, customers sharing one phone)."""
    import json
    import random

    from kehu_core.services.dedupe import similar_phones
    from kehu_core.testing import add_customer, make_store

    rng = random.Random(16)
    path = tmp_path / "store"
    opened = make_store(path, disabled=["points", "tiering", "reminders"])
    held: dict[str, list[str]] = {}
    for _n in range(160):  # phones of one tail, or one digit apart, between some
        own = list(dict.fromkeys(f"+861{rng.choice('38')}80000{''.join(rng.choices('0123456789', k=4))}"
                                 for _ in range(rng.choice((1, 1, 2)))))
        held[add_customer(opened, name="微信用户", phones=own)] = own
    add_customer(opened, name="别人", phones=[next(iter(held.values()))[0][:-1] + "7"])  # another name: no link
    # every pair compared, as the rule says: linked when they share a phone or have similar ones
    parent = {c: c for c in held}

    def root(c: str) -> str:
        while parent[c] != c:
            c = parent[c]
        return c

    ids = sorted(held)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if any(pa == pb or similar_phones(pa, pb) for pa in held[a] for pb in held[b]):
                parent[root(b)] = root(a)
    expected: dict[str, set[str]] = {}
    for c in ids:
        expected.setdefault(root(c), set()).add(c)
    result = kehu("duplicates", "--json", store=path)
    assert result.code == 0, result.err
    found = json.loads(result.out)
    assert sorted(sorted(g["customers"]) for g in found) == sorted(sorted(g) for g in expected.values() if len(g) > 1)
    assert len(found) > 3
    for group in found:
        for detail in group["details"]:
            if detail.get("kind") == "similar_phone":
                a, b = detail["customers"]
                assert any(similar_phones(pa, pb) for pa in held[a] for pb in held[b])


def test_an_empty_path_is_refused_not_read_as_the_current_folder(
        store: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """`kehu init "$DIR"` and `kehu --store "$STORE" ...` in a script with the variable unset
    passed "", which a path reads as the current folder: a store was made in whatever folder
    the script ran in, and commands worked on the store found from there, exit 0. Now an empty
    path is refused as the argument it is (KEHU_STORE named when it came from there); an
    empty KEHU_STORE is no setting, as before (`make run` clears it so)."""
    path, _ = store
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    made = kehu("init", "")
    assert made.code == 2 and "PATH" in made.err and "empty path" in made.err, made.err
    assert list(here.iterdir()) == []
    monkeypatch.chdir(path)  # inside a store: found from here before
    listed = kehu("--store", "", "customer", "list")
    assert listed.code == 2 and "--store" in listed.err and listed.out == "", listed.out + listed.err
    monkeypatch.setenv("KEHU_STORE", " ")
    listed = kehu("customer", "list")
    assert listed.code == 2 and "KEHU_STORE" in listed.err, listed.err
    monkeypatch.setenv("KEHU_STORE", "")
    assert kehu("customer", "list").code == 0


def test_merge_file_refuses_a_file_that_is_not_there(store: tuple[Path, str], tmp_path: Path) -> None:  # noqa: F811
    """`kehu merge-file BASE OURS THEIRS` run by hand with a name mistyped read the missing file
    as empty and rewrote OURS without its id and name, exit 0. git always passes three files;
    a missing one is refused naming it, and OURS is left as it was."""
    path, cid = store
    ours = tmp_path / "ours.yaml"
    ours.write_bytes(next((path / "customers").rglob("customer.yaml")).read_bytes())
    before = ours.read_bytes()
    for args in ((tmp_path / "none.yaml", ours, ours), (ours, tmp_path / "none.yaml", ours)):
        result = kehu("merge-file", *map(str, args), store=path)
        no_traceback(result)
        assert result.code == 2 and "none.yaml" in result.err and "does not exist" in result.err, result.err
    assert ours.read_bytes() == before
