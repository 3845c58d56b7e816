"""The eighteenth outside round (eighteenthd, 2026-12-06): what the user waits for after a
change. Speed itself is measured in bench/ (docs/benchmarks.md), never here: these tests say
that the faster way gives the same answer, and that it does less (rows written), which failed
on the code before each fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from kehu_core.demo import generate

from .conftest import kehu

TIERS_TABLE = '"plugin:tiering:tiers"'


def _fresh_tiers(store: Path, scratch: Path) -> dict:
    """`kehu tier --json` of a copy of the store with no index: the whole store ranked afresh."""
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(store, scratch, ignore=shutil.ignore_patterns(".kehu"))
    fresh = kehu("tier", "--json", store=scratch)
    assert fresh.code == 0, fresh.err
    return fresh.json()


def _tiers(store: Path) -> dict:
    shown = kehu("tier", "--json", store=store)
    assert shown.code == 0, shown.err
    return shown.json()


def _count_tier_rows_written(store: Path) -> None:
    """A trigger in the index counting the rows written into the tiers' kept table."""
    with sqlite3.connect(store / ".kehu" / "index.sqlite") as db:
        db.execute("CREATE TABLE IF NOT EXISTS test_tier_rows(customer_id TEXT)")
        db.execute(f"CREATE TRIGGER IF NOT EXISTS test_tier_rows_written AFTER INSERT ON {TIERS_TABLE}"
                   " BEGIN INSERT INTO test_tier_rows VALUES(NEW.customer_id); END")
    db.close()


def _tier_rows_written(store: Path) -> int:
    """The rows written since the last call (and the count started again)."""
    with sqlite3.connect(store / ".kehu" / "index.sqlite") as db:
        written = db.execute("SELECT count(*) FROM test_tier_rows").fetchone()[0]
        db.execute("DELETE FROM test_tier_rows")
    db.close()
    return written


def test_the_first_tier_after_a_change_ranks_again_only_what_the_change_moved(tmp_path: Path) -> None:
    """The first `kehu tier` (a list by tier, the dashboard) after any change of the records
    ranked the whole store again and wrote every customer's row of the kept ranking (80 ms at
    10 000 customers, ~1 s at 100 000): after a note or a profile edit too, which moves nobody's
    purchases, and after a sale, which moves a few rows. Now a change that moved no purchase in
    the window writes no row (the kept ranking is still exact: only its stamp moves), a sale
    writes the rows it changed, and each answer is the one a ranking from scratch gives
    (`tiering.tiers.compute`: `_moved_since`, `_ranked_again`)."""
    store, scratch = tmp_path / "shop", tmp_path / "fresh"
    generate(store, 40, seed=11)
    first = _tiers(store)
    assert first == _fresh_tiers(store, scratch)
    people = sum(t["customers"] for t in first["distribution"])
    _count_tier_rows_written(store)
    small = first["tiers"][first["distribution"][-1]["tier"]][-1]["id"]  # the last of the last tier

    # a profile edit and a note: nobody's purchases moved, no row written, the same answer
    assert kehu("customer", "set", small, "nickname=小李", store=store).code == 0
    assert kehu("interaction", "add", small, "--kind", "call", "--text", "called back", store=store).code == 0
    assert _tiers(store) == first
    assert _tier_rows_written(store) == 0  # every row (40) before

    # a purchase older than the window moves nobody either
    old = kehu("purchase", "add", small, "--amount", "99999", "--date", "2020-01-01", "--paid", store=store)
    assert old.code == 0, old.err
    assert _tiers(store) == _fresh_tiers(store, scratch)
    assert _tier_rows_written(store) == 0

    # a sale that takes the smallest customer up a tier or more: the rows it moved, not all
    sale = kehu("purchase", "add", small, "--amount", "99999", "--paid", store=store)
    assert sale.code == 0, sale.err
    after = _tiers(store)
    assert after == _fresh_tiers(store, scratch)
    assert small not in [p["id"] for p in after["tiers"][after["distribution"][-1]["tier"]]]
    assert 1 <= _tier_rows_written(store) < people

    # its void, a second buyer, and a customer added and one removed: still a ranking's answer
    sale_id = sale.out.strip().splitlines()[-1]
    assert kehu("purchase", "void", small, sale_id, "--reason", "typed twice", store=store).code == 0
    assert _tiers(store) == _fresh_tiers(store, scratch)
    other = first["tiers"][first["distribution"][1]["tier"]][0]["id"]
    assert kehu("purchase", "add", other, "--amount", "12.5", "--paid", store=store).code == 0
    assert _tiers(store) == _fresh_tiers(store, scratch)
    assert kehu("customer", "add", "--name", "新客", store=store).code == 0
    assert _tiers(store) == _fresh_tiers(store, scratch)
    merged = kehu("customer", "merge", other, small, store=store)  # small is gone
    assert merged.code == 0, merged.err
    assert _tiers(store) == _fresh_tiers(store, scratch)


LONG = 1500  # items: over setaside.ASIDE_AT characters (ruamel took seconds over 40 000)


def _long_profiles(orig: str) -> dict[str, str]:
    """A profile's text with a long list in it, written as people and other programs write one:
    under a comment with a comment inside, in flow style on one line, quoted, indented unlike
    kehu's lists, before the name, of dates, a long mapping, and one holding an anchor."""
    block = "".join(f"- {n}  # 第五\n" if n == 5 else f"- {n}\n" for n in range(LONG))
    return {
        "block": f"{orig}# 很长的单子\nextra:\n{block}# 后面\nnote2: x\n",
        "flow": orig + "extra: [" + ", ".join(str(n) for n in range(LONG)) + "]\nnote2: x\n",
        "first": orig.replace("name:", "extra:\n" + "".join(f"- '{n}'\n" for n in range(LONG)) + "name:", 1),
        "indented": orig.replace("name:", "extra:\n" + "".join(f"  - v{n}\n" for n in range(LONG)) + "name:", 1)
        + "more:\n- a\n- b\n",
        "dates": orig + "days:\n" + "".join(f"- 2026-01-{n % 28 + 1:02d}\n" for n in range(LONG)),
        "mapping": orig + "big:\n" + "".join(f"  k{n}: {n}.5\n" for n in range(LONG // 2)),
        "anchor": f"{orig}extra: &a\n{block}again: *a\n",
    }


def test_an_edit_beside_a_long_list_writes_what_the_whole_round_trip_wrote(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kehu customer set ID nickname=x` on a profile holding a list of 40 000 items took 6.8 s
    (10 000: 1.8 s), all of it ruamel's round trip reading and writing the list the edit left
    alone, whose text the splice then put back. Now a big entry the edit leaves alone is read by
    the fast loader and written back as the file had it (`yamlio.setaside.set_aside`,
    `reading.load_roundtrip_to_edit`); the file written is byte for byte the one the whole round
    trip writes, for each way of writing the list, with LF or CRLF line ends, with a byte order
    mark or none, a field added, changed, removed, and the long list itself removed."""
    from kehu_core.yamlio import load_roundtrip_to_edit, setaside

    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    added = kehu("customer", "add", "--name", "长单", "--owner", "李强", "--tag", "VIP", store=store)
    cid = added.out.strip().splitlines()[-1]
    profile = next((store / "customers").rglob("customer.yaml"))
    orig = profile.read_text(encoding="utf-8")
    for name, text in _long_profiles(orig).items():
        for ends, bom in (("\n", ""), ("\r\n", ""), ("\r\n", "\ufeff")):
            raw = (bom + text.replace("\n", ends)).encode()
            profile.write_bytes(raw)
            _doc, aside = load_roundtrip_to_edit(profile, lambda key: key == "nickname")
            assert (aside is None) == (name == "anchor"), name  # an anchor's entry is ruamel's
            for edit in ("nickname=小长", "owner=王芳", "tags=", "extra="):
                written = []
                for aside_at in (setaside.ASIDE_AT, 10**12):  # 10**12: the whole round trip
                    monkeypatch.setattr(setaside, "ASIDE_AT", aside_at)
                    profile.write_bytes(raw)
                    result = kehu("customer", "set", cid, edit, store=store)
                    assert result.code == 0, (name, edit, result.err)
                    written.append(profile.read_bytes())
                monkeypatch.undo()
                assert written[0] == written[1], (name, repr(ends), bool(bom), edit)
                if edit == "nickname=小长":
                    assert written[0].startswith(bom.encode())
                    assert written[0].count(b"\n") == written[0].count(ends.encode())  # line ends kept
                    if name == "block":
                        assert "# 很长的单子".encode() in written[0] and "# 第五".encode() in written[0]
                        assert "# 后面".encode() in written[0]
    # a value refused, or a file's own problem after the long list, is said as the whole round
    # trip says it (the file's line), and nothing is written
    text = _long_profiles(orig)["block"]
    for bad, edit in ((text, "birthday=2026-02-30"), (text + "level: [1, 2]\n", "nickname=x")):
        said = []
        for aside_at in (setaside.ASIDE_AT, 10**12):
            monkeypatch.setattr(setaside, "ASIDE_AT", aside_at)
            profile.write_bytes(bad.encode())
            refused = kehu("customer", "set", cid, edit, store=store)
            assert refused.code == 1 and profile.read_bytes() == bad.encode(), refused.err
            said.append(refused.err)
        monkeypatch.undo()
        assert said[0] == said[1]
