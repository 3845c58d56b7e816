"""The fast scan loader (yaml-rs) and ruamel's round-trip loader must yield the same records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kehu_core.models import Customer, parse_interaction
from kehu_core.yamlio import (
    atomic_write,
    dump_new,
    dump_roundtrip,
    load_fast,
    load_roundtrip,
    load_scan,
    to_plain_yaml_value,
)

from .conftest import DEMO


def _plain(value: Any) -> Any:
    """ruamel's and PyYAML's dates as ISO text, as the scan loader gives them."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def test_every_demo_record_reads_the_same_with_all_three_loaders() -> None:
    files = sorted((DEMO / "customers").rglob("*.yaml"))
    assert len(files) > 1000
    for n, path in enumerate(files):
        scanned = load_scan(path)
        assert scanned == _plain(load_fast(path)), path
        if n % 8:  # ruamel's round-trip loader is slow: compare with it on every 8th file
            continue
        assert scanned == _plain(load_roundtrip(path)), path
        if path.name == "customer.yaml":
            assert Customer.model_validate(scanned) == Customer.model_validate(load_roundtrip(path))
        elif path.parent.name == "interactions":  # ledgers are lists of entries: compared above
            assert parse_interaction({"id": path.stem, **scanned}) == parse_interaction(
                {"id": path.stem, **load_roundtrip(path)})


text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | text
    | st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1))
    | st.integers(-10**9, 10**9).map(lambda cents: cents / 100),  # amounts, as records hold them
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z_]{1,10}", fullmatch=True), values, min_size=1, max_size=8))
def test_anything_kehu_writes_reads_back_the_same_with_every_loader(
    tmp_path_factory: Any, data: dict[str, Any]
) -> None:
    path: Path = tmp_path_factory.mktemp("yaml") / "record.yaml"
    atomic_write(path, dump_roundtrip(to_plain_yaml_value(data)))
    expected = _plain(data)
    new_text = dump_new(data)
    assert new_text == path.read_text(encoding="utf-8")  # the fast writer writes what ruamel writes
    assert dump_roundtrip(load_roundtrip(path)) == new_text  # and ruamel re-saves it unchanged
    assert _plain(load_roundtrip(path)) == expected
    assert load_scan(path) == expected
    assert _plain(load_fast(path)) == expected


def test_words_yaml_rs_would_take_for_numbers_read_as_text_by_every_loader(tmp_path: Path) -> None:
    # hypothesis found `_: _0` and `id: 0X0` read as 0 by the scan: yaml-rs knows numbers YAML
    # 1.2's core schema does not (underscores, 0X/0O/0B prefixes, a signed hex)
    words = ["_0", "1_000", "0X0", "+0X1", "-0XaF", "0O7", "0B1", "0b1", "+0x1", "0x_1", "1_0.5"]
    data = {f"k{n}": word for n, word in enumerate(words)} | {"list": words}
    path = tmp_path / "record.yaml"
    atomic_write(path, dump_new(data))
    assert load_scan(path) == _plain(load_fast(path)) == _plain(load_roundtrip(path)) == data


def _entry_lines(entries: list[dict[str, Any]], extra: list[str]) -> str:
    from kehu_core.yamlio import dump_flow_line

    return "# points ledger: one entry per line\n" + "".join(
        f"- {dump_flow_line(e)}\n" for e in entries) + "".join(f"{line}\n" for line in extra)


# lines a hand edit or another tool may write: quoted and escaped dates, times, tabs, keys
_HAND_LINES = ["- {date: '2026-05-01', note: x}", '- {date: "2026-05-01"}', '- {note: "\\x32026-05-01"}',
               "- {date: 2026-05-01 10:00:00, at: 2026-05-01T10:00:00+08:00}", "- {date: 2026-05-01 10:00}",
               "- {2026-05-01: key, date: 2026-02-30}", "- {date: 2026-05-01,\tnote: tab}", "- {n: 017, h: 0x1F}",
               "- {big: 123456789012345678901234567890.5}", "- {w: yes, x: ~, y: .inf}"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), values, min_size=1, max_size=5),
                max_size=6),
       st.lists(st.sampled_from(_HAND_LINES), max_size=3))
def test_a_ledger_reads_the_same_by_its_fast_loader_as_by_pyyaml(
        tmp_path_factory: Any, entries: list[dict[str, Any]], extra: list[str]) -> None:
    """Ledgers are read by yaml-rs (`load_entries`: a ledger at its size limit took PyYAML 10 s
    and 574 MB, every `customer show` of that customer), dates made dates as PyYAML makes them;
    what it reads must be exactly what PyYAML reads, entries kehu writes and lines by hand."""
    from kehu_core.yamlio import load_entries

    path: Path = tmp_path_factory.mktemp("ledger") / "points.ledger.yaml"
    path.write_text(_entry_lines(entries, extra), encoding="utf-8")
    try:
        expected = load_fast(path)
    except Exception as exc:  # a line PyYAML refuses is refused alike
        try:
            load_entries(path)
        except type(exc):
            return
        raise AssertionError(f"PyYAML refused, load_entries read {path.read_text(encoding='utf-8')!r}") from exc
    assert _typed(load_entries(path)) == _typed(expected)


def _typed(value: Any) -> Any:
    """A value with the type of each part (1 == True == 1.0 would hide a loader's difference)."""
    if isinstance(value, dict):
        return {_typed(k): _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, repr(value))


def test_every_demo_ledger_reads_the_same_by_its_fast_loader() -> None:
    from kehu_core.yamlio import load_entries

    ledgers = sorted((DEMO / "customers").rglob("*.ledger.yaml"))
    assert len(ledgers) > 100
    for path in ledgers:
        assert _typed(load_entries(path)) == _typed(load_fast(path)), path


def test_a_ledger_entry_kehu_writes_is_one_line_every_loader_reads(tmp_path: Path) -> None:
    """Hypothesis found `{b: null, a: :0}`: an entry holding a null is written by ruamel, whose
    emitter wrote a text beginning with a colon plain in a flow mapping, and PyYAML's parser
    then refused the ledger line kehu had written (yaml-rs read it): a redemption noted `:0`
    broke the customer's ledger for every reader but the fast one."""
    from kehu_core.yamlio import dump_flow_line, load_entries

    entries = [{"id": "k3x9qa2mzt", "date": dt.date(2026, 11, 20), "reason": "redeem", "ref": None, "note": note}
               for note in (":0", "a: b", "#1", "- x", "[1]", "{x}", "?", ",", ":)", "好: 的")]
    path = tmp_path / "points.ledger.yaml"
    path.write_text("# points ledger\n" + "".join(f"- {dump_flow_line(e)}\n" for e in entries), encoding="utf-8")
    assert all("\n" not in dump_flow_line(e) for e in entries)
    assert load_fast(path) == entries
    assert _typed(load_entries(path)) == _typed(load_fast(path))
