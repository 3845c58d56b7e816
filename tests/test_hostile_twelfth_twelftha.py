"""The twelfth outside round (twelftha, 2026-12-05), kinds 1 to 4: new variants of links and
special files, text read one way and written another, values that pass one door and not
another, and writes that land in the wrong place. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.errors import KehuError, NotFound, RecordError
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


INVISIBLE = ("\u200b", "\ufeff", "\u2060", "\u00ad")  # zero-width space, byte order mark, word joiner, soft hyphen


def test_a_field_named_as_kehus_behind_an_invisible_character_is_named(tmp_path: Path) -> None:
    """A profile's own field `\\u200bowner: 李四` (a zero-width space, a byte order mark — two
    files joined —, a word joiner or a soft hyphen before `owner`), by hand or a colleague's
    commit: `kehu check` said ok, `customer show` printed "owner  李四" though the customer has
    no owner (no `--owner` filter, handover or visit plan finds them), and the export's column
    of it made a sheet the import refused ("the columns 'owner' and 'owner' are both read as
    owner") or took in as extra data named so. An invisible character is no part of how a
    field is spelt (`computed_fields.column_key`), so such a field is one spelt as kehu's
    another way, named at its line with the character written out; a sheet's header so
    written is that field."""
    path, cid = _shop(tmp_path)
    profile = open_store(path).customer_file(cid)
    before = profile.read_text(encoding="utf-8")
    for mark in INVISIBLE:
        profile.write_text(before + f"{mark}owner: 李四\n", encoding="utf-8")
        checked = kehu("check", store=path)
        assert checked.code == 1, (mark, checked.out + checked.err)
        line = before.count("\n") + 1
        assert f"{profile}:{line}: \\u{ord(mark):04x}owner: spelt as kehu's field owner another way" in checked.out \
            or f"{profile}:{line}: \\x{ord(mark):02x}owner: spelt as kehu's field owner another way" in checked.out, \
            checked.out
        no_traceback(checked)
    profile.write_text(before, encoding="utf-8")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("name,\u200bowner\n王五,李四\n", encoding="utf-8")
    imported = kehu("import", str(sheet), store=path)
    assert imported.code == 0, imported.out + imported.err
    listed = kehu("customer", "list", "--owner", "李四", "--json", store=path)
    assert [c["name"] for c in listed.json()] == ["王五"], listed.out
    assert kehu("check", store=path).code == 0


def test_a_visit_plan_saved_with_crlf_or_a_byte_order_mark_keeps_them(tmp_path: Path) -> None:
    """A rep's plan of the day (`visits/REP/DAY.yaml`, shared by `kehu sync`) saved by a
    Windows editor with CRLF line ends (and a byte order mark), then `kehu visits plan --add`:
    every line was written again with LF and the mark dropped, a diff of the whole file (which
    a colleague's change to the same plan meets as a conflict), where an edit of a record, a
    ledger or kehu.yaml keeps them (`yamlio.line_end`). The plan keeps its line ends and mark."""
    path, cid = _shop(tmp_path)
    assert kehu("customer", "add", "--name", "李四", "--id", "lisi", "--owner", "王芳", store=path).code == 0
    assert kehu("customer", "set", cid, "owner=王芳", store=path).code == 0
    plan = ("--today", "2026-11-20", "visits", "plan", "--owner", "王芳")
    assert kehu(*plan, "--add", cid, store=path).code == 0
    (day,) = (path / "visits" / "王芳").iterdir()
    for mark in ("", "\ufeff"):
        text = day.read_text(encoding="utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
        day.write_bytes((mark + text.replace("\n", "\r\n")).encode("utf-8"))
        added = kehu(*plan, "--add" if "lisi" not in text else "--remove", "lisi", store=path)
        assert added.code == 0, added.err
        after = day.read_bytes().decode("utf-8")
        assert after.startswith(mark) and after.count("\r\n") == after.count("\n") > 3, repr(after)
        assert kehu("check", store=path).code == 0


def test_a_plugins_record_with_its_own_id_is_held_to_what_check_takes(tmp_path: Path) -> None:
    """The plugin API's `Store.add_interaction` given an `id` (it may bring one): the id of
    another customer's record (a note of B as `2026-11-01-x1` held by A too), or one differing
    only in case from a record in the folder (`2026-11-01-X1` beside `2026-11-01-x1`), was
    written with exit 0, and `kehu check` then rejected the store (one record under two
    customers counts twice; one file on macOS and Windows). Each is refused, nothing written."""
    path, cid = _shop(tmp_path)
    assert kehu("customer", "add", "--name", "李四", "--id", "lisi", store=path).code == 0
    store = open_store(path)
    note = {"kind": "note", "date": "2026-11-01", "text": "见过"}
    store.add_interaction(cid, {**note, "id": "2026-11-01-x1"})
    files = sorted(p.relative_to(path) for p in (path / "customers").rglob("*"))
    with pytest.raises(KehuError, match="2026-11-01-x1 is a record of customer zhangsan already"):
        store.add_interaction("lisi", {**note, "id": "2026-11-01-x1"})
    with pytest.raises(RecordError, match="only in case"):
        store.add_interaction(cid, {**note, "id": "2026-11-01-X1"})
    assert sorted(p.relative_to(path) for p in (path / "customers").rglob("*")) == files
    assert kehu("check", store=path).code == 0
    assert store.add_interaction("lisi", {**note, "id": "2026-11-01-y1"}).id == "2026-11-01-y1"


def _files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if ".git" not in p.parts and ".kehu" not in p.parts)


def test_a_tui_screenshot_is_never_written_in_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`F2` in the TUI saved an SVG of the screen in the current folder, which is the store's
    when kehu is started there (it finds its store from there): `kehu sync`, which commits every
    file of the store's folder, pushed the screen — the customers listed, and the confidential
    fields a key holder sees opened — to every clone, as an export `--reveal` written there was.
    In a folder that no longer exists (removed under the shell) the app ended in a traceback.
    Now a screenshot taken in a store goes to the user's downloads folder (where Textual's own
    palette command puts it), and one that cannot be written is a notification saying why."""
    import asyncio

    from kehu_tui.app import KehuApp

    path, _cid = _shop(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    before = _files(path)

    async def press_f2() -> list[str]:
        app = KehuApp(open_store(path), today=TODAY, watch_interval=0)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            await pilot.press("f2")
            await pilot.pause()
            return [str(n.message) for n in app._notifications]

    monkeypatch.chdir(path)
    said = asyncio.run(press_f2())
    assert _files(path) == before
    (shot,) = (home / "Downloads").glob("*.svg")
    assert any(str(shot) in text for text in said), said
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    said = asyncio.run(press_f2())
    assert any("screenshot" in text.lower() for text in said), said


_OPENED: list[str] = []
_COUNTING: list[bool] = []


def _count_opens(event: str, args: tuple) -> None:
    if _COUNTING and event == "open" and str(args[0]).endswith("kehu.yaml"):
        _OPENED.append(str(args[0]))


def test_many_bad_segments_in_kehu_yaml_read_it_once_for_their_lines(tmp_path: Path) -> None:
    """A colleague's kehu.yaml with 300 segments holding a typo'd condition (`tags:` for `tag:`),
    or 300 naming a tier there is none of: `kehu check` (and so `kehu sync`'s check of a merged
    kehu.yaml, `segment show`, `send`) read kehu.yaml again, with the slow round-trip loader,
    for the line of every problem: 120 such segments took 24 s, 1 000 seven minutes, 20 000
    more than ten. Each problem is still named at its line, the file read once for all of them
    (a count of the file's opens, by a Python audit hook: no clock)."""
    import sys

    path, _cid = _shop(tmp_path)
    config = path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    first = text.count("\n") + 2
    sys.addaudithook(_count_opens)
    for bad, named in (("{tags: [VIP]}", "tags: unknown condition"), ("{tier: [无此等级]}", "tier: ")):
        config.write_text(text + "segments:\n" + "".join(f"  s{n}: {bad}\n" for n in range(300)), encoding="utf-8")
        _OPENED.clear()
        _COUNTING.append(True)
        try:
            checked = kehu("check", store=path)
        finally:
            _COUNTING.clear()
        assert checked.code == 1
        assert f"{config}:{first}: segments.s0.{named}" in checked.out, checked.out[:500]
        assert f"{config}:{first + 299}: segments.s299.{named}" in checked.out, checked.out[-500:]
        assert len(_OPENED) < 20, (bad, len(_OPENED))


def test_a_field_named_as_a_computed_value_another_way_is_named(tmp_path: Path) -> None:
    """A profile's own field `Tier: 钻石会员`, `POINTS: 99999`, `Purchases: 3` or
    `\\u200bpoints: 1` (a hand edit, a colleague's commit): `kehu check` said ok — the rule held
    `tier`, `points`, `purchases` as spelt so only —, and `customer show` printed "Tier
    钻石会员" and "Points 99999" beside the tier and the points kehu computes, a forged line
    of their making. A value kehu or a plugin computes is matched as a field spelt another way
    is (`computed_fields.column_key`): each is named at its line, and refused by every door."""
    path, cid = _shop(tmp_path)
    profile = open_store(path).customer_file(cid)
    before = profile.read_text(encoding="utf-8")
    line = before.count("\n") + 1
    for field, value in (("Tier", "钻石会员"), ("POINTS", "99999"), ("Purchases", "3"), ("\u200bpoints", "1")):
        profile.write_text(before + f"{field}: {value}\n", encoding="utf-8")
        checked = kehu("check", store=path)
        assert checked.code == 1, (field, checked.out + checked.err)
        shown = field.replace("\u200b", "\\u200b")
        assert f"{profile}:{line}: {shown}: kehu computes this value" in checked.out, checked.out
        no_traceback(checked)
    profile.write_text(before, encoding="utf-8")
    refused = kehu("customer", "set", cid, "Tier=钻石会员", store=path)
    assert refused.code == 1 and "kehu computes this value" in refused.err, refused.err
    assert profile.read_text(encoding="utf-8") == before
