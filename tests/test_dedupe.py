"""One customer, one record (issue 14 item 2), through the real CLI and the real TUI:
duplicates refused at `customer add`, found by `kehu duplicates`, merged by
`kehu customer merge` (and `M` in the TUI) with nothing lost, and a re-import after a merge
adding nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from kehu_tui.app import KehuApp
from kehu_tui.screens.confirm import ConfirmScreen
from kehu_tui.screens.customer import CustomerScreen
from kehu_tui.screens.merge import MergeScreen

from kehu_core.store import open_store

from .conftest import TODAY, git, kehu
from .test_tui import wait_for


def add(store: Path, *args: str) -> str:
    result = kehu("customer", "add", *args, store=store)
    assert result.code == 0, result.err
    return result.out.strip()


def show(store: Path, cid: str) -> dict:
    result = kehu("customer", "show", cid, "--json", store=store)
    assert result.code == 0, result.err
    return result.json()


def balance(store: Path, cid: str) -> int:
    result = kehu("points", cid, "--json", store=store)
    assert result.code == 0, result.err
    return result.json()["balance"]


def files_of(store: Path) -> dict[str, bytes]:
    return {p.relative_to(store).as_posix(): p.read_bytes()
            for p in sorted((store / "customers").rglob("*")) if p.is_file()}


# --- customer add ---------------------------------------------------------------------------


def test_add_refuses_a_phone_or_email_already_there_naming_the_customer(store_path: Path) -> None:
    zm = add(store_path, "--name", "赵敏", "--phone", "13912345678", "--email", "zm@example.com")

    same_phone = kehu("customer", "add", "--name", "赵敏敏", "--phone", "+86 139-1234-5678", store=store_path)
    assert same_phone.code == 1
    assert zm in same_phone.err and "赵敏" in same_phone.err and "phone +8613912345678" in same_phone.err
    assert "Traceback" not in same_phone.err and same_phone.out == ""

    same_email = kehu("customer", "add", "--name", "Min", "--email", "ZM@Example.COM", store=store_path)
    assert same_email.code == 1 and zm in same_email.err and "email zm@example.com" in same_email.err

    listed = kehu("customer", "list", "--json", store=store_path).json()
    assert [c["id"] for c in listed] == [zm]  # nothing half-written

    other = add(store_path, "--name", "赵敏的女儿", "--phone", "13912345678", "--allow-duplicate")
    assert other != zm
    assert len(kehu("customer", "list", "--json", store=store_path).json()) == 2


def test_two_adds_at_once_cannot_both_pass(store_path: Path) -> None:
    """Two processes adding the same person at the same moment: the look-up and the write are
    one step under the store lock, so exactly one of them adds her."""
    add(store_path, "--name", "warm-up")  # the index exists before the race
    argv = [sys.executable, "-m", "kehu_core", "--store", str(store_path), "customer", "add",
            "--name", "孙丽", "--phone", "13800138000"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert sorted(code for code, _ in results) == [0, 1, 1], results
    assert all("already in the store" in err for code, err in results if code == 1)
    assert [c["name"] for c in kehu("customer", "list", "--json", store=store_path).json()].count("孙丽") == 1


# --- kehu duplicates ------------------------------------------------------------------------


def test_duplicates_finds_each_reason(store_path: Path) -> None:
    a = add(store_path, "--name", "赵敏", "--phone", "13912345678")
    b = add(store_path, "--name", "赵敏 ", "--phone", "13912345678", "--allow-duplicate")  # same phone
    c = add(store_path, "--name", "李四", "--email", "ls@example.com")
    d = add(store_path, "--name", "李四四", "--email", "LS@example.com", "--allow-duplicate")  # same email
    e = add(store_path, "--name", "王五", "--phone", "13600001111")
    f = add(store_path, "--name", "王五", "--phone", "13600001112")  # same name, one digit apart
    g = add(store_path, "--name", "钱七", "--phone", "13512345678")
    h = add(store_path, "--name", "钱七", "--phone", "18812345678")  # same name, same last 8 digits
    i = add(store_path, "--name", "张敏", "--phone", "13700000001")
    j = add(store_path, "--name", "章敏", "--phone", "18600000002")  # same pinyin zhangmin
    add(store_path, "--name", "王五", "--phone", "18000009999")  # a namesake, unrelated phone
    add(store_path, "--name", "孙丽", "--phone", "13800138000")  # nobody like her

    result = kehu("duplicates", "--json", store=store_path)
    assert result.code == 0, result.err
    groups = {tuple(g["customers"]): g for g in result.json()}
    assert set(groups) == {tuple(sorted(p)) for p in [(a, b), (c, d), (e, f), (g, h), (i, j)]}
    reasons = {k: " | ".join(g["reasons"]) for k, g in groups.items()}
    assert "same phone +8613912345678" in reasons[tuple(sorted((a, b)))]
    assert "same email ls@example.com" in reasons[tuple(sorted((c, d)))]
    assert "similar phones" in reasons[tuple(sorted((e, f)))] and "one digit apart" in reasons[tuple(sorted((e, f)))]
    assert "same last 8 digits" in reasons[tuple(sorted((g, h)))]
    assert "same pinyin zhangmin" in reasons[tuple(sorted((i, j)))]
    assert sorted(groups[tuple(sorted((i, j)))]["names"]) == ["张敏", "章敏"]

    text = kehu("duplicates", store=store_path)
    assert text.code == 0 and "same pinyin zhangmin" in text.out and "5 groups" in text.err


def test_names_that_read_alike_but_for_their_digits_or_letters_are_two_names(store_path: Path) -> None:
    """A phone's contacts saved as 客户1, 客户2 … read "kehu" but for their numbers: they were all
    one group, "same pinyin kehu"; what is not Chinese in a name is part of how it reads."""
    numbered = [add(store_path, "--name", f"客户{n}", "--phone", f"1390000{n:04d}") for n in range(1, 4)]
    a = add(store_path, "--name", "张三A", "--phone", "13700000001")
    b = add(store_path, "--name", "章三a", "--phone", "18600000002")  # same pinyin, same letter
    c = add(store_path, "--name", "王芳（2）", "--phone", "13500000003")
    d = add(store_path, "--name", "汪芳(2)", "--phone", "18800000004")  # full-width brackets as typed on a phone
    add(store_path, "--name", "张三B", "--phone", "15000000005")  # another letter: another person

    result = kehu("duplicates", "--json", store=store_path)
    assert result.code == 0, result.err
    groups = {tuple(g["customers"]) for g in result.json()}
    assert groups == {tuple(sorted((a, b))), tuple(sorted((c, d)))}
    assert not any(cid in group for group in groups for cid in numbered)


# --- kehu customer merge --------------------------------------------------------------------


def _two_records_of_one_person(store: Path) -> tuple[str, str, str]:
    keep = add(store, "--name", "赵敏", "--phone", "13912345678", "--email", "zm@example.com",
               "--tag", "VIP", "--birthday", "1990-04-12", "--owner", "王芳", "--level", "金卡",
               "--note", "喜欢龙井")
    other = add(store, "--name", "赵敏", "--phone", "13912345679", "--email", "ZM2@example.com",
                "--tag", "老客户", "--level", "银卡", "--organization", "西湖茶庄", "--address", "杭州西湖区",
                "--note", "住在西湖边")
    friend = add(store, "--name", "钱七", "--referrer", other)
    for cid, date, amount in [(keep, "2026-11-01", "100"), (other, "2026-11-02", "250"),
                              (other, "2026-11-03", "40")]:
        bought = kehu("purchase", "add", cid, "--date", date, "--item", "龙井", "--amount", amount,
                      "--paid", store=store)
        assert bought.code == 0, bought.err
    visit = kehu("interaction", "add", other, "--kind", "visit", "--date", "2026-11-05",
                 "--text", "到店品茶", store=store)
    assert visit.code == 0, visit.err
    git(store, "add", "-A")
    git(store, "commit", "-q", "-m", "before the merge")
    return keep, other, friend


def test_the_customer_merged_in_reads_as_a_customer_in_customer_show(store_path: Path) -> None:
    """`customer show` printed `also_known` as Python's dicts: "{'id': 'c1…', 'merged': …}"; and
    the second line of the merged notes at the margin, as a field of its own."""
    keep, other, _friend = _two_records_of_one_person(store_path)
    assert kehu("customer", "merge", keep, other, store=store_path).code == 0
    shown = kehu("customer", "show", keep, store=store_path)
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    (known,) = [line for line in lines if line.startswith("Also known as")]
    assert known.split(None, 3)[-1] == f"赵敏 ({other}, merged {TODAY.isoformat()})", shown.out
    assert "{" not in shown.out and "'" not in shown.out, shown.out
    notes = lines.index(next(line for line in lines if line.startswith("Notes")))
    assert lines[notes + 1].strip() == "住在西湖边" and lines[notes + 1].startswith(" " * 8), shown.out


def test_merge_keeps_everything_and_is_one_commit(store_path: Path) -> None:
    keep, other, friend = _two_records_of_one_person(store_path)
    points_before = balance(store_path, keep) + balance(store_path, other)
    assert points_before == 390
    found = kehu("duplicates", "--json", store=store_path).json()
    assert [g["customers"] for g in found] == [sorted([keep, other])]
    head = git(store_path, "rev-parse", "HEAD").strip()

    result = kehu("customer", "merge", keep, other, store=store_path)
    assert result.code == 0, result.err
    assert other in result.out and keep in result.out

    merged = show(store_path, keep)
    assert merged["phones"] == ["+8613912345678", "+8613912345679"]
    assert merged["emails"] == ["zm@example.com", "ZM2@example.com"]
    assert merged["tags"] == ["VIP", "老客户"]
    assert merged["addresses"] == ["杭州西湖区"] and merged["organization"] == "西湖茶庄"
    assert merged["level"] == "金卡" and merged["birthday"] == "1990-04-12" and merged["owner"] == "王芳"
    assert "喜欢龙井" in merged["notes"] and "住在西湖边" in merged["notes"]
    assert merged["also_known"] == [{"id": other, "merged": TODAY.isoformat(), "name": "赵敏", "level": "银卡"}]
    assert sorted(float(p["amount"]) for p in merged["purchases"]) == [40.0, 100.0, 250.0]
    assert [i["text"] for i in merged["interactions"] if i["kind"] == "visit"] == ["到店品茶"]
    assert balance(store_path, keep) == points_before  # the points add up
    assert show(store_path, friend)["referrer"] == keep

    gone = kehu("customer", "show", other, store=store_path)
    assert gone.code == 1 and other in gone.err
    assert not list((store_path / "customers").glob(f"*/{other}"))

    assert git(store_path, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    assert git(store_path, "status", "--porcelain") == ""  # everything in that one commit
    subject = git(store_path, "log", "-1", "--format=%s")
    assert "merge" in subject and other in subject and keep in subject

    check = kehu("check", store=store_path)
    assert check.code == 0, check.out + check.err
    assert kehu("duplicates", "--json", store=store_path).json() == []


def test_a_merge_that_fails_half_way_leaves_the_store_as_it_was(store_path: Path) -> None:
    keep, other, friend = _two_records_of_one_person(store_path)
    hook = store_path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'refused by the shop policy' >&2\nexit 1\n", encoding="utf-8")
    os.chmod(hook, 0o755)
    before = files_of(store_path)

    result = kehu("customer", "merge", keep, other, store=store_path)
    assert result.code == 1
    assert "refused by the shop policy" in result.err and "Traceback" not in result.err
    assert files_of(store_path) == before
    assert show(store_path, other)["name"] == "赵敏" and show(store_path, friend)["referrer"] == other
    assert kehu("check", store=store_path).code == 0


BROKEN_LINES = {  # a hand edit of a ledger, each a line no reader of one line takes for an entry
    "cut short": ("- {date: 2026-11-06, reason: adjust, delta: 5", "invalid YAML"),
    "no mapping": ("- 5 points for the tea", "not a ledger entry"),
    "indented": ("  - {date: 2026-11-06, reason: adjust, delta: 5}", "not a ledger entry"),
}


@pytest.mark.parametrize("whose", ["other", "keep"])
@pytest.mark.parametrize("broken", BROKEN_LINES.values(), ids=BROKEN_LINES.keys())
def test_a_merge_stops_on_a_broken_ledger_line_naming_it_as_check_does(
        store_path: Path, broken: tuple[str, str], whose: str) -> None:
    """A ledger line broken by hand, in either customer's points ledger: the merge ended in
    "internal error: ParserError" (cut short), or went on, moving "- 5 points ..." into KEEP's
    ledger as it was, or leaving the indented line (its 5 points) out of KEEP's ledger without
    a word, OTHER's file deleted. Now the merge stops before changing anything, naming the
    line as `kehu check` names it, and goes through once the line is fixed."""
    line, said = broken
    keep, other, _friend = _two_records_of_one_person(store_path)
    ledger = open_store(store_path).ledger_file(keep if whose == "keep" else other, "points")
    good = ledger.read_text(encoding="utf-8")
    ledger.write_text(good + line + "\n", encoding="utf-8")
    number = len(good.splitlines()) + 1
    before, head = files_of(store_path), git(store_path, "rev-parse", "HEAD")

    result = kehu("customer", "merge", keep, other, store=store_path)
    assert result.code == 1
    assert f"{ledger}:{number}: {said}" in result.err, result.err
    assert "nothing was changed" in result.err and "internal error" not in result.err
    assert files_of(store_path) == before and git(store_path, "rev-parse", "HEAD") == head
    assert f"{ledger}:{number}: {said}" in kehu("check", store=store_path).out  # the same line and words

    ledger.write_text(good + "- {date: 2026-11-06, reason: adjust, delta: 5}\n", encoding="utf-8")
    assert kehu("customer", "merge", keep, other, store=store_path).code == 0
    assert balance(store_path, keep) == 390 + 5  # the line fixed by hand is moved with the rest
    assert kehu("check", store=store_path).code == 0


def test_a_ledger_an_editor_saved_with_a_byte_order_mark_and_crlf_merges(store_path: Path) -> None:
    """No broken line: a byte order mark before the header and CRLF line ends (a Windows
    editor's save) are read as every loader reads them, and the entries move."""
    keep, other, _friend = _two_records_of_one_person(store_path)
    ledger = open_store(store_path).ledger_file(other, "points")
    ledger.write_bytes(b"\xef\xbb\xbf" + ledger.read_bytes().replace(b"\n", b"\r\n"))
    result = kehu("customer", "merge", keep, other, store=store_path)
    assert result.code == 0, result.err
    assert balance(store_path, keep) == 390
    assert kehu("check", store=store_path).code == 0


@pytest.mark.parametrize("edit", ["paid in each", "voided in one, paid in the other", "a note written two ways"])
def test_copies_of_one_purchase_edited_apart_are_joined_into_one(store_path: Path, edit: str) -> None:
    """Both customers hold a copy of one purchase (as two clones merging them each into the
    other leave it), each copy then edited apart. The merge used to keep both, the second under
    a new id: the sale counted twice, `check` ok. Now the copies are one purchase again with
    both payments; a void against a payment is a conflict a person decides, which check names."""
    keep = add(store_path, "--name", "赵敏", "--phone", "13912345678")
    other = add(store_path, "--name", "赵敏", "--phone", "13912345679")
    sold = kehu("purchase", "add", other, "--date", "2026-11-02", "--item", "龙井", "--amount", "100",
                "--credit", store=store_path)
    assert sold.code == 0, sold.err
    source = next(p for p in (store_path / "customers").glob(f"*/{other}/interactions/*.yaml"))
    copy = next((store_path / "customers").glob(f"*/{keep}")) / "interactions" / source.name
    copy.parent.mkdir()
    copy.write_bytes(source.read_bytes())
    held = [line for line in kehu("check", store=store_path).out.splitlines() if "counted twice" in line]
    assert len(held) == 2, held
    if edit == "paid in each":
        assert kehu("purchase", "pay", keep, source.stem, "--amount", "30", "--date", "2026-11-05",
                    store=store_path).code == 0
    elif edit == "a note written two ways":  # by hand, in each copy
        for path, note in ((copy, "送货上门"), (source, "自提")):
            path.write_text(path.read_text(encoding="utf-8") + f"note: {note}\n", encoding="utf-8")
    else:
        assert kehu("purchase", "void", keep, source.stem, "--reason", "退货", store=store_path).code == 0
    assert kehu("purchase", "pay", other, source.stem, "--amount", "50", "--date", "2026-11-06",
                store=store_path).code == 0
    merged = kehu("customer", "merge", keep, other, store=store_path)
    assert merged.code == 0, merged.err
    assert "1 held by both and edited apart joined into one" in merged.out, merged.out
    purchases = show(store_path, keep)["purchases"]
    assert len(purchases) == 1 and purchases[0]["id"] == source.stem, purchases
    assert sorted(p["amount"] for p in purchases[0]["payments"]) == (
        ["30.00", "50.00"] if edit == "paid in each" else ["50.00"]), purchases
    checked = kehu("check", store=store_path)
    if edit == "a note written two ways":
        assert checked.code == 1 and f"{copy.name}:" in checked.out, checked.out
        assert (f"merge conflict on note: kept 送货上门 (this customer's copy), the copy customer {other} "
                "held had 自提; choose the value of note in this file") in checked.out, checked.out
    elif edit == "paid in each":
        assert checked.code == 0, checked.out
        assert "owed ¥20.00" in kehu("customer", "show", keep, store=store_path).out
        # the sale's points once: each customer's copy had earned them (kehu check named the second)
        assert balance(store_path, keep) == 100
    else:
        assert "with a field set two ways" in merged.out, merged.out
        assert checked.code == 1 and f"{copy.name}:" in checked.out and "voided" in checked.out, checked.out


def test_merge_refuses_unknown_or_same_customer(store_path: Path) -> None:
    keep = add(store_path, "--name", "赵敏")
    missing = kehu("customer", "merge", keep, "c-nobody", store=store_path)
    assert missing.code == 1 and "c-nobody" in missing.err
    itself = kehu("customer", "merge", keep, keep, store=store_path)
    assert itself.code == 1 and "itself" in itself.err


# --- import ---------------------------------------------------------------------------------


def test_a_purchase_is_never_imported_twice_whichever_duplicate_it_lands_on(store_path: Path, tmp_path: Path) -> None:
    first = tmp_path / "orders.csv"
    first.write_text("交易日期,真实姓名,电子邮箱,购买商品,成交金额\n2026-10-01,孙丽,sl@example.com,龙井礼盒,1288\n",
                     encoding="utf-8")
    assert kehu("import", str(first), store=store_path).code == 0
    (original,) = kehu("customer", "list", "--json", store=store_path).json()
    # the shop adds her again by phone (no phone or email in common: not refused)
    again = add(store_path, "--name", "孙丽", "--phone", "13800138000")
    # the till's next export has her phone and email: the row lands on the second record
    second = tmp_path / "orders2.csv"
    second.write_text("交易日期,真实姓名,联系电话,电子邮箱,购买商品,成交金额\n"
                      "2026-10-01,孙丽,13800138000,sl@example.com,龙井礼盒,1288\n", encoding="utf-8")
    result = kehu("import", str(second), "--json", store=store_path)
    assert result.code == 0, result.err
    assert result.json()["purchases_added"] == 0
    assert show(store_path, again)["purchases"] == []

    merged = kehu("customer", "merge", original["id"], again, store=store_path)
    assert merged.code == 0, merged.err
    for sheet in (first, second):
        result = kehu("import", str(sheet), "--json", store=store_path)
        assert result.code == 0, result.err
        assert result.json()["purchases_added"] == 0 and result.json()["created"] == []
    purchases = show(store_path, original["id"])["purchases"]
    assert len(purchases) == 1 and float(purchases[0]["amount"]) == 1288


# --- the TUI --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_tui_merges_a_duplicate_into_the_customer_on_screen(store_path: Path) -> None:
    keep, other, friend = _two_records_of_one_person(store_path)
    app = KehuApp(open_store(store_path), today=TODAY, watch_interval=0)
    async with app.run_test(size=(140, 40)) as pilot:
        app.open_customer(keep)
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "the customer screen")
        await pilot.press("M")
        await wait_for(pilot, lambda: isinstance(app.screen, MergeScreen), "the merge dialog")
        await pilot.press(*"zhaomin")  # by pinyin, as the list's search: the other 赵敏 only
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: not list((store_path / "customers").glob(f"*/{other}")),
                       "the other record gone")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "back on the customer")
    merged = show(store_path, keep)
    assert merged["phones"] == ["+8613912345678", "+8613912345679"]
    assert len(merged["purchases"]) == 3
    assert show(store_path, friend)["referrer"] == keep
    assert kehu("customer", "show", other, store=store_path).code == 1
