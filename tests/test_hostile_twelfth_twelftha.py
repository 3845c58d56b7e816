"""The twelfth outside round (twelftha, 2026-12-05), kinds 1 to 4: new variants of links and
special files, text read one way and written another, values that pass one door and not
another, and writes that land in the wrong place. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

from . import test_hostile_limits
from .conftest import kehu

no_traceback = test_hostile_limits.no_traceback


def _shop(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    added = kehu("customer", "add", "--name", "张三", "--id", "zhangsan", store=path)
    assert added.code == 0, added.err
    return path, "zhangsan"


def test_a_ledger_of_a_customer_without_a_profile_is_named_by_check(tmp_path: Path) -> None:
    """A points ledger in a customer's folder that holds no `customer.yaml` (the customer
    deleted by hand or by a colleague's `git rm`, while the other clone's redemption or a plain
    `git merge` kept the ledger; a plugin's line written for a customer that is gone): `kehu
    check` said "ok" — an interaction there was named, a ledger not —, so `kehu sync` shared
    points of nobody. Now it is named as an interaction there is."""
    path, _cid = _shop(tmp_path)
    folder = path / "customers" / "d8" / "c1zzzzzzzzzzzzzz"
    folder.mkdir(parents=True)
    (folder / "points.ledger.yaml").write_text(
        "- {id: abcdef1234, date: 2026-11-01, reason: gift, delta: 500}\n", encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1, checked.out
    assert f"{folder / 'points.ledger.yaml'}:1: ledger of a customer that has no customer.yaml" in checked.out
    no_traceback(checked)
    (folder / "points.ledger.yaml").unlink()
    assert kehu("check", store=path).code == 0
