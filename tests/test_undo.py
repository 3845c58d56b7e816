"""kehu undo: the change journal takes back kehu's last change exactly (issue 14 item 5), through
the real CLI on real stores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import git, kehu


def files(root: Path) -> dict[str, bytes]:
    """Every file of the store a person or git sees (not .kehu/ or .git/), with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not {".kehu", ".git"} & set(p.relative_to(root).parts)}


def seen(store: Path, *ids: str) -> dict[str, Any]:
    """What kehu shows: the list and each customer in full (index and plugins included)."""
    out: dict[str, Any] = {"list": kehu("customer", "list", "--json", store=store).json()}
    for cid in ids:
        shown = kehu("customer", "show", cid, "--json", store=store)
        out[cid] = shown.json() if shown.code == 0 else None
    return out


def add(store: Path, *args: str) -> str:
    result = kehu("customer", "add", *args, store=store)
    assert result.code == 0, result.err
    return result.out.strip().splitlines()[-1]


def purchase(store: Path, cid: str, *args: str) -> str:
    result = kehu("purchase", "add", cid, "--item", "龙井", "--price", "88", *args, store=store)
    assert result.code == 0, result.err
    return result.out.strip().splitlines()[-1]


def undone_exactly(store: Path, ids: list[str], change: Callable[[], None]) -> None:
    before_files, before_seen = files(store), seen(store, *ids)
    change()
    assert files(store) != before_files
    result = kehu("undo", store=store)
    assert result.code == 0, result.err
    assert files(store) == before_files
    assert seen(store, *ids) == before_seen


def test_purchase_add_undone_with_its_points(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    undone_exactly(store_path, [cid], lambda: purchase(store_path, cid, "--paid"))
    assert kehu("points", cid, "--json", store=store_path).json()["balance"] == 0


def test_customer_add_undone_removes_the_customer(store_path: Path) -> None:
    add(store_path, "--name", "李雷")
    undone_exactly(store_path, [], lambda: add(store_path, "--name", "韩梅梅", "--phone", "13912345678"))
    assert [c["name"] for c in kehu("customer", "list", "--json", store=store_path).json()] == ["李雷"]
    assert kehu("search", "韩梅梅", "--json", store=store_path).json() == []


def test_customer_set_undone(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏", "--tag", "vip")
    undone_exactly(store_path, [cid], lambda: kehu("customer", "set", cid, "tags=新客", "owner=王芳",
                                                   store=store_path))


def test_pay_and_void_undone(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    pid = purchase(store_path, cid, "--unpaid")
    undone_exactly(store_path, [cid], lambda: kehu("purchase", "pay", cid, pid, "--amount", "40",
                                                   store=store_path))
    undone_exactly(store_path, [cid], lambda: kehu("purchase", "void", cid, pid, "--reason", "错单",
                                                   store=store_path))


def test_merge_undone_brings_the_other_customer_back(store_path: Path) -> None:
    keep = add(store_path, "--name", "赵敏", "--phone", "13912345678")
    other = add(store_path, "--name", "赵敏", "--email", "zm@example.com", "--allow-duplicate")
    purchase(store_path, other, "--paid")
    referred = add(store_path, "--name", "周芷若", "--referrer", other)

    def merge() -> None:
        result = kehu("customer", "merge", keep, other, store=store_path)
        assert result.code == 0, result.err

    undone_exactly(store_path, [keep, other, referred], merge)


def test_undo_again_takes_back_the_change_before_and_list_shows_them(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    before = files(store_path)
    purchase(store_path, cid, "--paid")
    kehu("customer", "set", cid, "owner=王芳", store=store_path)
    assert kehu("undo", store=store_path).code == 0
    assert kehu("undo", store=store_path).code == 0
    assert files(store_path) == before

    listed = kehu("undo", "--list", "--json", store=store_path).json()
    assert [(e["id"], e["undoes"], e["undone_by"]) for e in listed] == [
        (5, 2, None), (4, 3, None), (3, None, 4), (2, None, 5), (1, None, None)]
    assert listed[2]["command"].startswith("kehu customer set " + cid)
    assert listed[3]["command"].startswith(f"kehu purchase add {cid} --item")
    assert all(e["who"] == "Test Rep" and e["when"].startswith("2026-11-20T") for e in listed)
    text = kehu("undo", "--list", store=store_path).out
    assert "(undone by #5)" in text and "(undo of #2)" in text and "customer.yaml" in text


def test_undo_refuses_after_a_hand_edit(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    pid = purchase(store_path, cid, "--unpaid")
    record = next(store_path.glob(f"customers/*/{cid}/interactions/{pid}.yaml"))
    record.write_text(record.read_text(encoding="utf-8") + "text: 手改\n", encoding="utf-8")
    before = files(store_path)

    result = kehu("undo", store=store_path)

    assert result.code == 1
    assert "changed since" in result.err and f"interactions/{pid}.yaml" in result.err
    assert "Traceback" not in result.err
    assert files(store_path) == before


def test_nothing_to_undo(store_path: Path) -> None:
    result = kehu("undo", store=store_path)
    assert result.code == 1 and "nothing to undo" in result.err


def test_by_names_who(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    purchase(store_path, cid, "--paid", "--by", "王芳")
    assert kehu("undo", "--list", "--json", store=store_path).json()[0]["who"] == "王芳"


@pytest.mark.parametrize("committed", [False, True])
def test_customer_log_lists_kehus_changes_with_who_and_when(store_path: Path, committed: bool) -> None:
    cid = add(store_path, "--name", "赵敏")
    other = add(store_path, "--name", "李雷")
    purchase(store_path, cid, "--paid", "--by", "王芳")
    kehu("customer", "set", cid, "owner=王芳", store=store_path)
    if committed:
        git(store_path, "add", "-A")
        git(store_path, "commit", "-qm", "by hand")

    entries = kehu("customer", "log", cid, "--json", store=store_path).json()

    mine = [e for e in entries if e["source"] == "kehu"]
    assert [" ".join(e["subject"].split()[:3]) for e in mine] == [
        "kehu customer set", "kehu purchase add", "kehu customer add"]
    assert [e["author"] for e in mine] == ["Test Rep", "王芳", "Test Rep"]
    assert all(e["date"].startswith("2026-11-20T") for e in mine)
    assert [e["subject"] for e in entries if e["source"] == "git"] == (["by hand"] if committed else [])
    text = kehu("customer", "log", cid, store=store_path).out
    assert "王芳" in text and "kehu purchase add" in text and other not in text


def test_a_store_without_git_has_undo_and_a_log(small_store: Path) -> None:
    cid = kehu("customer", "list", "--json", "--limit", "1", store=small_store).json()[0]["id"]
    undone_exactly(small_store, [cid], lambda: purchase(small_store, cid, "--paid"))
    log = kehu("customer", "log", cid, "--json", store=small_store)
    assert log.code == 0, log.err
    assert [e["subject"].split(" ")[1] for e in log.json()] == ["undo", "purchase"]


@pytest.mark.asyncio
async def test_a_purchase_added_in_the_tui_is_undone_by_kehu_undo(store_path: Path) -> None:
    from kehu_tui.screens.customers import CustomersScreen
    from kehu_tui.screens.interaction import AddInteractionScreen

    from .test_tui import SIZE, make_app, wait_for

    cid = add(store_path, "--name", "赵敏", "--phone", "13912345678")
    before = files(store_path)
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", "z", "m", "tab")
        await pilot.pause()
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, AddInteractionScreen), "the form")
        await pilot.press(*"龙井茶礼盒", "tab", "2", "tab", *"1288", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomersScreen), "saved")
    assert files(store_path) != before  # the purchase, and its points
    listed = kehu("undo", "--list", store=store_path)
    assert "kehu tui" in listed.out + listed.err
    assert kehu("undo", store=store_path).code == 0
    assert files(store_path) == before
    assert kehu("customer", "show", cid, "--json", store=store_path).json()["purchases"] == []


def test_undo_list_shows_a_line_break_typed_in_an_argument_on_the_changes_own_line(store_path: Path) -> None:
    """`kehu customer add --note $'第一行\\n第二行'`: `undo --list` printed the note's line break,
    so the change ran over two lines and its second looked like one of its files."""
    assert kehu("customer", "add", "--name", "丙", "--note", "第一行\n第二行", store=store_path).code == 0
    listed = kehu("undo", "--list", "--limit", "1", store=store_path).out.splitlines()
    assert listed[0].endswith("--note '第一行\\n第二行'"), listed
    assert all(line.startswith("    customers/") for line in listed[1:]), listed
