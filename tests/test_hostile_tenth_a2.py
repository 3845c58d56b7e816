"""Variants of issue 16's kinds 1 to 4 found by the tenth outside round (A, 2026-12-05), continued
from ``test_hostile_tenth_a.py``: each failed on the code before its fix. See docs/reliability.md,
"The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import test_hostile_limits
from .conftest import kehu

# the fixtures of a store of one customer (李雷, owner 王芳), copied for each test
base, store = test_hostile_limits.base, test_hostile_limits.store
no_traceback = test_hostile_limits.no_traceback


def test_a_stray_kehu_yaml_among_the_records_is_no_store(
        store: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``kehu.yaml`` in a customer's folder (a copy by mistake, a colleague's commit): kehu run
    in that folder took it for a store, and `customer add` wrote a new customer's records, an
    index and a journal among the records of the store around it, with exit 0. The stray file
    is no store: kehu finds the store around it, and `--store` naming it is refused."""
    path, cid = store
    folder = next((path / "customers").glob(f"*/{cid}"))
    (folder / "kehu.yaml").write_text((path / "kehu.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    before = sorted(p.name for p in folder.iterdir())
    monkeypatch.chdir(folder)
    added = kehu("customer", "add", "--name", "韩梅梅")
    assert added.code == 0, added.err
    assert sorted(p.name for p in folder.iterdir()) == before
    listed = kehu("customer", "list", "--json", store=path).json()
    assert sorted(c["name"] for c in listed) == ["李雷", "韩梅梅"]
    named = kehu("customer", "list", store=folder)
    no_traceback(named)
    assert named.code == 1 and "is inside the records of the store" in named.err, named.err
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{cid}/kehu.yaml:1: unexpected file" in checked.out, checked.out
