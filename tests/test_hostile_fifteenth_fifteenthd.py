"""The fifteenth outside round (D, 2026-12-06), kind 3: one set of rules for every door. Each
failed on the code before its fix. See docs/reliability.md, "The outside attacker's
variants"."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.store import Store
from kehu_core.testing import make_store, run_kehu

from . import test_hostile_limits
from .conftest import kehu

no_traceback = test_hostile_limits.no_traceback


def _override(path: Path, cid: str) -> list[str]:
    """The ``tier_override`` lines of the customer's file, as written (without a comment)."""
    text = Store.open(path).customer_file(cid).read_text(encoding="utf-8")
    return [line.split(" #")[0].rstrip() for line in text.splitlines() if line.startswith("tier_override")]


def _ok(*args: str, store: Path) -> str:
    done = kehu(*args, store=store)
    no_traceback(done)
    assert done.code == 0, (args, done.out, done.err)
    return done.out


def test_a_tier_typed_as_shown_is_kept_as_kept_by_every_door(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kehu tier set ID "Key customers"` pins the tier as kept (重要客户); `customer add --set`,
    `customer set`, `kehu edit` (a real $EDITOR) and `kehu import` (CSV and xlsx, a new row and
    one matching a customer) refused the same name, "'Key customers' is how the tier 重要客户 is
    shown; write 重要客户". Every door now keeps it as `tier set` does — the plugin gives the
    value kept through the `kept_customer_fields` hook, asked where every door writes a profile
    (`Store.kept_customer`) — and `tier set` goes that way too. A typo is still refused, and a
    hand edit is still named by `kehu check`, which writes nothing: "write 重要客户"."""
    import openpyxl

    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = _ok("customer", "add", "--name", "赵敏", "--phone", "13800138000",
              "--set", "tier_override=Key customers", store=path).strip()
    assert _override(path, cid) == ["tier_override: 重要客户"]
    for typed, kept in (("major CUSTOMERS", "主要客户"), (" Small customers ", "小客户"), ("重要客户", "重要客户")):
        _ok("customer", "set", cid, f"tier_override={typed}", store=path)
        assert _override(path, cid) == [f"tier_override: {kept}"], typed
    before = Store.open(path).customer_file(cid).read_bytes()
    wrong = kehu("customer", "set", cid, "tier_override=Kee customers", store=path)
    assert wrong.code == 1 and "is not a tier here" in wrong.err, wrong.err
    assert Store.open(path).customer_file(cid).read_bytes() == before

    # `kehu tier set`: the same way, the same result
    _ok("tier", "set", cid, "regular customers", store=path)
    assert _override(path, cid) == ["tier_override: 普通客户"]
    assert Store.open(path).ledger(cid, "tiers")[-1]["to"] == "普通客户"
    typo = kehu("tier", "set", cid, "Kee customers", store=path)
    assert typo.code == 1 and "is not a tier of this store" in typo.err, typo.err
    assert _override(path, cid) == ["tier_override: 普通客户"]

    # `kehu edit`, its editor a script changing the line
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        "text = open(sys.argv[1], encoding='utf-8').read()\n"
        "open(sys.argv[1], 'w', encoding='utf-8').write(\n"
        "    text.replace('tier_override: 普通客户', 'tier_override: Key customers  # 大单'))\n",
        encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    edited = kehu("edit", cid, store=path, input="n\n")
    no_traceback(edited)
    assert edited.code == 0, edited.out + edited.err
    assert _override(path, cid) == ["tier_override: 重要客户"]
    assert "# 大单" in Store.open(path).customer_file(cid).read_text(encoding="utf-8")  # its comment kept

    # `kehu import`: a CSV and an xlsx, each a new customer and one matching 赵敏 by phone (a
    # field the store has not is merged in; one it has, typed as shown, is no conflict)
    _ok("tier", "set", cid, "--clear", store=path)
    sheet = tmp_path / "tiers.csv"
    sheet.write_text("name,phones,tier_override\n赵敏,13800138000,Small customers\n"
                     "周芷若,13900139000,key customers\n", encoding="utf-8")
    _ok("import", str(sheet), store=path)
    book = openpyxl.Workbook()
    book.active.append(["name", "phones", "tier_override"])
    book.active.append(["赵敏", "13800138000", "small CUSTOMERS"])
    book.active.append(["张无忌", "13700137000", "regular CUSTOMERS"])
    book.save(tmp_path / "tiers.xlsx")
    imported = _ok("import", str(tmp_path / "tiers.xlsx"), store=path)
    assert "conflict" not in imported, imported
    listed = {c["name"]: c for c in kehu("customer", "list", "--json", store=path).json()}
    assert _override(path, cid) == ["tier_override: 小客户"]
    assert _override(path, listed["周芷若"]["id"]) == ["tier_override: 重要客户"]
    assert _override(path, listed["张无忌"]["id"]) == ["tier_override: 普通客户"]
    assert kehu("check", store=path).code == 0

    # a hand edit: `kehu check` writes nothing, so it says what to write; another field's
    # change leaves that line as it is (only the changed lines change)
    profile = Store.open(path).customer_file(cid)
    profile.write_text(profile.read_text(encoding="utf-8").replace("tier_override: 小客户",
                                                                   "tier_override: Key customers"), encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1, checked.out
    assert "'Key customers' is how the tier 重要客户 is shown; write 重要客户" in checked.out, checked.out
    _ok("customer", "set", cid, "nickname=小敏", store=path)
    assert _override(path, cid) == ["tier_override: Key customers"]
    assert kehu("check", store=path).code == 1


@pytest.mark.asyncio
async def test_a_tier_typed_as_shown_in_the_tuis_form_is_kept_as_kept(demo_copy: Path) -> None:
    """The TUI's customer form, `Key customers` typed into Tier override and saved (enter): the
    form said "is how the tier 重要客户 is shown; write 重要客户" under the field and saved
    nothing. It saves, the file holding 重要客户, as `kehu tier set` keeps it."""
    from kehu_tui.screens.customer import CustomerScreen
    from kehu_tui.screens.edit import EditCustomerScreen

    from .test_tui import SIZE, make_app, open_zhao_min, wait_for, zhao_min_id

    cid = zhao_min_id(demo_copy)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCustomerScreen), "the form")
        field = app.screen.query_one("#field-tier_override")
        field.focus()
        field.value = ""
        await pilot.press(*"Key customers")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "back on the detail screen")
    assert _override(demo_copy, cid) == ["tier_override: 重要客户"]
    assert kehu("check", store=demo_copy).code == 0


class _WeChat:
    """A plugin's field kept its way: a WeChat id typed with an ``@`` or in capitals is kept
    without it, in small letters (and a second plugin that gives back what is not its own)."""

    @hookimpl
    def customer_fields(self) -> dict[str, tuple[Any, Any]]:
        return {"wechat": (str | None, None)}

    @hookimpl
    def kept_customer_fields(self, store: Store, customer: Any) -> dict[str, Any] | None:
        typed = getattr(customer, "wechat", None)
        return {"wechat": typed.lstrip("@").lower()} if typed else None


class _Greedy:
    @hookimpl
    def customer_fields(self) -> dict[str, tuple[Any, Any]]:
        return {"shoe_size": (int | None, None)}

    @hookimpl
    def kept_customer_fields(self, store: Store, customer: Any) -> dict[str, Any] | None:
        if getattr(customer, "shoe_size", None) == 1:
            return {"shoe_size": "not a number"}  # refused by the field's own type
        return {"name": "Mallory", "wechat": "mallory"}  # not its fields


def test_kept_customer_fields_keeps_a_plugins_field_as_it_says(tmp_path: Path) -> None:
    """The ``kept_customer_fields`` hook: a plugin's own field is written as it keeps it, by
    every door (here `customer add` and `set`); `kehu check` never rewrites. A plugin giving a
    value for a field not its own, or one the field's type refuses, is reported by name and
    its value left out; the write goes on as typed."""
    store = make_store(tmp_path / "shop", plugins={"wechat": _WeChat(), "greedy": _Greedy()})
    added = run_kehu(store, "customer", "add", "--name", "赵敏", "--set", "wechat=@ZM_1990", "--set", "shoe_size=38")
    assert added.code == 0, added.err
    cid = added.out.strip()
    text = store.customer_file(cid).read_text(encoding="utf-8")
    assert "wechat: zm_1990" in text and "Mallory" not in text and "name: 赵敏" in text, text
    assert "shoe_size: 38" in text, text
    assert "plugin 'greedy' failed in kept_customer_fields" in added.err, added.err
    assert "not fields it declares" in added.err, added.err
    assert run_kehu(store, "customer", "set", cid, "wechat=@LaoZhao").code == 0
    assert "wechat: laozhao" in store.customer_file(cid).read_text(encoding="utf-8")
    sized = run_kehu(store, "customer", "set", cid, "shoe_size=1")
    assert sized.code == 0, sized.err
    assert "shoe_size: 1" in store.customer_file(cid).read_text(encoding="utf-8")
    assert "plugin 'greedy' failed in kept_customer_fields" in sized.err, sized.err
    assert run_kehu(store, "check").code == 0
    # a big import's customers, their files made beforehand by its workers: kept the same way
    from kehu_core.store.profile_text import new_profile_text

    made = store.customer_model.model_validate({"id": store.new_customer_id(), "name": "周芷若",
                                                "created": store.today, "wechat": "@ZZR"})
    [stored] = store.add_rendered_customers([(made, new_profile_text(made), None, None)])
    assert getattr(stored, "wechat", None) == "zzr", stored
    assert "wechat: zzr" in store.customer_file(made.id).read_text(encoding="utf-8")
    assert run_kehu(store, "check").code == 0
