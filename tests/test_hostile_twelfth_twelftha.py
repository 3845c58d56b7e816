"""The twelfth outside round (twelftha, 2026-12-05), kinds 1 to 4: new variants of links and
special files, text read one way and written another, values that pass one door and not
another, and writes that land in the wrong place. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.errors import NotFound, RecordError
from kehu_core.store import open_store

from . import test_hostile_limits
from .conftest import TODAY, kehu

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


def test_a_plugins_ledger_line_is_held_to_what_check_takes(tmp_path: Path) -> None:
    """The plugin API's `Store.append_ledger` wrote what `kehu check` then rejected, exit 0: a
    line for a customer with no profile (a new folder `customers/bb/<id>/` holding a ledger
    alone: a referrer merged away, an id mistyped), a line bringing an `id` the ledger already
    holds (counted twice), and a ledger named `POINTS` beside `points` (one file on macOS and
    Windows). Each is now refused before anything is written, with the rule `check` names it by."""
    path, cid = _shop(tmp_path)
    store = open_store(path)
    ledger = store.ledger_file(cid, "points")
    store.append_ledger(cid, "points", {"date": TODAY, "reason": "gift", "delta": 5, "id": "gift000001"})
    before = ledger.read_text(encoding="utf-8")
    files = sorted(p.relative_to(path) for p in (path / "customers").rglob("*"))
    with pytest.raises(NotFound, match="no customer with id 'nobody0000000001'"):
        store.append_ledger("nobody0000000001", "points", {"date": TODAY, "reason": "gift", "delta": 5})
    with pytest.raises(RecordError, match="entry gift000001 is in this ledger already"):
        store.append_ledger(cid, "points", {"date": TODAY, "reason": "gift", "delta": 5, "id": "gift000001"})
    with pytest.raises(RecordError, match="only in case"):
        store.append_ledger(cid, "POINTS", {"date": TODAY, "reason": "gift", "delta": 5})
    assert ledger.read_text(encoding="utf-8") == before
    assert sorted(p.relative_to(path) for p in (path / "customers").rglob("*")) == files
    # an import's lines (a batch): held to the same rules
    with pytest.raises(RecordError, match="entry gift000001 is in this ledger already"), store.batch():
        store.append_ledger(cid, "points", {"date": TODAY, "reason": "gift", "delta": 5, "id": "gift000001"})
    assert ledger.read_text(encoding="utf-8") == before
    assert kehu("check", store=path).code == 0


def test_an_item_typed_with_its_accent_two_ways_is_one_product(tmp_path: Path) -> None:
    """`purchase add --item "Café au lait"` keyed in composed on one machine and decomposed
    (`e` + U+0301, pasted from a macOS file name or a Mac's sheet) on another, and such a line
    written by hand: `kehu report products` listed two products of one name, each with half
    the revenue, units and buyers (and the ABC classes and slow sellers made of the halves).
    An item's name is stored composed (NFC) at every door and read so from a hand edit, as a
    tag or a rep is (`keytext`)."""
    path, cid = _shop(tmp_path)
    composed, decomposed = "Caf\u00e9 au lait", "Cafe\u0301 au lait"
    for item in (composed, decomposed):
        added = kehu("purchase", "add", cid, "--item", item, "--price", "10", "--paid", store=path)
        assert added.code == 0, added.err
    folder = open_store(path).interactions_dir(cid)
    hand = folder / "2026-11-01-byhand01.yaml"
    hand.write_text(f"kind: purchase\ndate: 2026-11-01\nitems:\n- name: {decomposed}\n  qty: 1\n  price: 10\n"
                    "amount: 10\npaid: true\n", encoding="utf-8")
    assert kehu("check", store=path).code == 0
    report = kehu("report", "products", "--json", store=path)
    assert report.code == 0, report.err
    rows = [row for row in report.json()["products"] if row["name"].startswith("Caf")]
    assert [(row["name"], row["orders"]) for row in rows] == [(composed, 3)], rows
    stored = [p.read_text(encoding="utf-8") for p in folder.iterdir() if p != hand]
    assert all(composed in text and decomposed not in text for text in stored), stored
