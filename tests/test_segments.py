"""Saved segments from kehu.yaml, on the hand-built store of test_reports (as of 2026-06-30)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kehu_core.errors import KehuError, RecordError
from kehu_core.services import segments
from kehu_core.store import open_store
from tests.conftest import kehu
from tests.test_reports import T, build_known

SEGMENTS = """\
segments:
  vip:
    tag: VIP
  wang-active:
    owner: 王芳
    lifecycle: [new, active]
  slipping:
    last_purchase_before: 90d
  recent-2026:
    last_purchase_after: 2026-06-01
  tea-b:
    bought: 茶B
  big:
    min_revenue: 800
  june-birthdays:
    birthday_month: this
  july-birthdays:
    birthday_month: next
  no-vip:
    not_tag: VIP
    lifecycle: [dormant, churned, prospect]
"""


@pytest.fixture
def known(store_path: Path) -> Path:
    build_known(store_path)
    with (store_path / "kehu.yaml").open("a", encoding="utf-8") as f:
        f.write(SEGMENTS)
    return store_path


def ids(store_path: Path, name: str, today: dt.date = T) -> list[str]:
    return sorted(c.id for c in segments.segment_customers(open_store(store_path), name, today))


@pytest.mark.parametrize(("name", "expected"), [
    ("vip", ["alice", "dave"]),
    ("wang-active", ["alice", "frank"]),  # carol is 王芳's too, but churned
    ("slipping", ["carol", "dave"]),  # last purchase before 2026-04-01; erin never bought
    ("recent-2026", ["alice", "bob", "frank"]),  # frank's 07-05 purchase is after "today"
    ("tea-b", ["alice", "bob"]),
    ("big", ["alice", "bob"]),  # lifetime revenue 1300 and 800
    ("june-birthdays", ["alice"]),
    ("july-birthdays", ["carol"]),  # --07-02, no year
    ("no-vip", ["carol", "erin"]),
    ("churned", ["carol"]),  # built in
    ("prospects", ["erin"]),
    ("all", ["alice", "bob", "carol", "dave", "erin", "frank"]),
])
def test_segment_members(known: Path, name: str, expected: list[str]) -> None:
    assert ids(known, name) == expected


def test_lunar_birthdays_count_in_their_solar_month(known: Path) -> None:
    store = open_store(known)
    store.update_customer("erin", {"lunar_birthday": "05-20"})  # 2026: 七月四日 (July 4)
    store.update_customer("bob", {"lunar_birthday": "12-20"})  # lunar 2025-12-20 = 2026-02-07
    assert ids(known, "july-birthdays") == ["carol", "erin"]
    assert ids(known, "july-birthdays", dt.date(2026, 1, 31)) == ["bob"]  # "next": February


def test_segment_from_kehu_yaml_replaces_a_built_in(known: Path) -> None:
    with (known / "kehu.yaml").open("a", encoding="utf-8") as f:
        f.write("  all:\n    owner: 李强\n")
    assert ids(known, "all") == ["bob"]


def test_bad_segment_is_reported_with_its_line(known: Path) -> None:
    with (known / "kehu.yaml").open("a", encoding="utf-8") as f:
        f.write("  typo:\n    tags: VIP\n  when:\n    last_purchase_before: last week\n")
    lines = (known / "kehu.yaml").read_text(encoding="utf-8").splitlines()
    with pytest.raises(RecordError) as err:
        segments.definitions(open_store(known))
    rendered = [p.render() for p in err.value.problems]
    assert rendered[0].endswith(
        f"kehu.yaml:{lines.index('    tags: VIP') + 1}: segments.typo.tags: unknown condition; "
        "expected one of description, tag, not_tag, tier, level, owner, lifecycle, rfm, "
        "last_purchase_before, last_purchase_after, birthday_month, bought, attitude, min_revenue, "
        "max_revenue, ids")
    assert f"kehu.yaml:{lines.index('    last_purchase_before: last week') + 1}:" in rendered[1]
    result = kehu("segment", "show", "vip", store=known)
    assert result.code == 1 and "segments.typo.tags" in result.err


def test_unknown_segment(known: Path) -> None:
    with pytest.raises(KehuError, match="no segment 'nope'; known: active, all, big, "):
        segments.get(open_store(known), "nope")
    result = kehu("send", "--segment", "nope", "--template", "birthday", "--dry-run", store=known)
    assert result.code == 1 and "no segment 'nope'" in result.err


def test_segment_cli(known: Path) -> None:
    data = kehu("segment", "show", "wang-active", "--today", "2026-06-30", "--json",
                store=known).json()
    assert [c["id"] for c in data] == ["alice", "frank"]
    assert data[0]["phones"] == ["+8613912345678"]  # the contract's customer objects
    listing = kehu("segment", "list", "--json", store=known).json()
    by_name = {s["name"]: s for s in listing}
    assert by_name["vip"] == {"name": "vip", "source": "kehu.yaml", "conditions": {"tag": ["VIP"]}}
    assert by_name["churned"]["source"] == "built-in"
    table = kehu("segment", "list", store=known)
    assert table.code == 0 and "wang-active" in table.out


def test_tier_condition_uses_plugin_values(known: Path) -> None:
    class Tiers:
        from kehu_core.hookspecs import hookimpl

        @hookimpl
        def tier_names(self, store):  # type: ignore[no-untyped-def]
            return ["A", "B", "C"]

        @hookimpl
        def customer_values(self, store, customer):  # type: ignore[no-untyped-def]
            return {"tier": "A" if customer.id in ("bob", "erin") else "C"}

    config = known / "kehu.yaml"  # the tiering plugin would compute tiers of its own
    config.write_text(config.read_text(encoding="utf-8").replace(
        "disabled: []", "disabled: [tiering]"), encoding="utf-8")
    store = open_store(known)
    assert store.plugins is not None
    store.plugins.register(Tiers(), name="test-tiers")
    spec = segments.SegmentSpec(tier="a")
    assert sorted(c.id for c in segments.select(store, spec, T)) == ["bob", "erin"]
    # a tier the plugins do not name is an error listing theirs, not an empty segment
    with pytest.raises(KehuError, match="no tier 'D'; the tiers are: A, B, C"):
        segments.select(store, segments.SegmentSpec(tier="D"), T)


def test_export_a_segment(known: Path, tmp_path: Path) -> None:
    out = tmp_path / "vip.csv"
    result = kehu("export", "--format", "csv", "--segment", "vip", str(out), store=known)
    assert result.code == 0, result.err
    text = out.read_text(encoding="utf-8-sig")
    assert "Alice 王" in text and "Dave 刘" in text and "Bob 李" not in text
    bad = kehu("export", "--format", "csv", "--segment", "nope", str(out), store=known)
    assert bad.code == 1 and "no segment 'nope'" in bad.err
