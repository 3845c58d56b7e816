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
