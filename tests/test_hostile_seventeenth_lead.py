"""Seventeenth round, the lead's finds (issue 16). Each failed on the code before its fix; see
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile import tree_hash
from .test_hostile_limits import base, no_traceback, store  # noqa: F401 (fixtures)


def test_an_empty_today_is_refused_as_every_empty_date_is(store: tuple[Path, str]) -> None:  # noqa: F811
    """`kehu --today "$DAY" reminders` with DAY unset ran at the system date, exit 0: the one
    day the user had said it should not run at, and a script's report of a fixed day differed
    by the day it ran. Every other date option (`--date ""`, `--as-of ""`) refused the empty
    text; `--today ""` does too, naming itself, exit 2 as any bad argument, nothing written."""
    path, _ = store
    before = tree_hash(path)
    for args in (["--today", "", "reminders"], ["--today", "", "customer", "list"]):
        ran = kehu(*args, store=path)
        no_traceback(ran)
        assert ran.code == 2, (args, ran.out, ran.err)
        assert "'--today'" in ran.err and "is not a date" in ran.err, ran.err
    assert tree_hash(path) == before



def test_an_id_whose_case_twin_was_removed_by_hand_is_taken(tmp_path: Path) -> None:
    """The case-twin rule (`C-AB12` beside `c-ab12`, one folder on macOS) asks the index, which
    in a process that runs on (the TUI, `kehu serve`, a plugin's script) had not yet looked
    again after `c-ab12`'s folder was removed by hand: adding `C-AB12` was refused naming a
    customer no longer in the store. A twin whose file is gone is no twin; one still there is
    refused as before."""
    import shutil

    from kehu_core.errors import KehuError
    from kehu_core.models import Customer
    from kehu_core.store import Store

    assert kehu("init", str(tmp_path / "shop"), "--no-git").code == 0
    shop = Store.open(tmp_path / "shop")
    shop.add_customer(Customer(id="c-ab12", name="甲"))
    with pytest.raises(KehuError, match="differs only in case"):
        shop.add_customer(Customer(id="C-AB12", name="乙"))
    shutil.rmtree(shop.customer_dir("c-ab12"))
    shop.add_customer(Customer(id="C-AB12", name="乙"))
    assert [c["id"] for c in kehu("customer", "list", "--json", store=tmp_path / "shop").json()] == ["C-AB12"]


@pytest.mark.parametrize("typed", ["VIP/茶", "VIP、茶", "VIP|茶", "VIP；茶", "VIP，茶"])
def test_a_list_typed_as_one_text_is_cut_alike_at_every_door(tmp_path: Path, typed: str) -> None:
    """Tags typed as one text with a separator a tag may not hold (`、`, `/`, `|`: the model
    refuses a tag holding one, as its export would make it two): an import's cell was cut at each,
    but `customer set tags=VIP/茶` and the TUI's field cut at `,，;；` alone, so the same text
    was two tags by one door and refused ("a tag cannot hold /") by the others. One reading
    (`models.typed_lists.typed_list`) at the CLI, the TUI's form and the importer."""
    from kehu_tui.widgets.forms.customer_form import FieldSpec, from_text

    from kehu_core.store import Store

    shop = tmp_path / "shop"
    assert kehu("init", str(shop), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "赵敏", store=shop).out.strip()
    done = kehu("customer", "set", cid, f"tags={typed}", store=shop)
    assert done.code == 0, done.err
    assert Store.open(shop).get(cid).tags == ["VIP", "茶"]
    assert from_text(FieldSpec("tags", "tags", "list"), typed) == ["VIP", "茶"]
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f'name,tags\n钱多多,"{typed}"\n', encoding="utf-8")
    assert kehu("import", str(sheet), store=shop).code == 0
    (imported,) = [c for c in kehu("customer", "list", "--json", store=shop).json() if c["name"] == "钱多多"]
    assert Store.open(shop).get(imported["id"]).tags == ["VIP", "茶"]
