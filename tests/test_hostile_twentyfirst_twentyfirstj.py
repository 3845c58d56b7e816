"""The twenty-first round (J, 2026-12-07): one set of ledger rules for every door. Each failed on
the code before its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.testing import make_store, reopen, run_kehu

from .test_hostile_twentieth_twentiethe import two_sales_imported

TODAY = dt.date(2026, 11, 20)


class _WholeCap:
    """A third party's rule of kehu's own points ledger, of the whole ledger alone
    (``validate_ledger``): no line gives more than 1 000 points (a shop's cap on one sale)."""

    @hookimpl
    def validate_ledger(self, ledger: str, entries: list[dict[str, Any]]) -> list[tuple[int, str]] | None:
        if ledger != "points":
            return None
        return [(n, "at most 1000 points a sale") for n, e in enumerate(entries) if int(e.get("delta", 0)) > 1000]


class _LineCap(_WholeCap):
    """The same rule, answering of a new line too (``validate_ledger_line``)."""

    @hookimpl
    def validate_ledger_line(self, ledger: str, entry: dict[str, Any]) -> list[str] | None:
        return ["at most 1000 points a sale"] if ledger == "points" and int(entry.get("delta", 0)) > 1000 else None


@pytest.mark.parametrize("cap", [_LineCap, _WholeCap])
def test_an_imports_points_line_a_plugins_rule_rejects_is_refused(tmp_path: Any, cap: type) -> None:
    """`kehu purchase add` of a sale of 2 000 refused its 2 000 points (the cap's rule named),
    the sale kept; `kehu import` of the same sale wrote them: in an import's batch a line of
    kehu's own points plugin was asked of no ledger rule (only a third party's were), the
    import "0 failed", and `kehu check` then rejected the store, stopping every `kehu sync`.
    Every line an import writes is asked of every plugin's rules, as `purchase add`'s is."""
    store = make_store(tmp_path / "store", today=TODAY, plugins={"cap": cap()})
    imported = two_sales_imported(store, tmp_path, 2000)
    assert "plugin 'points' failed in interaction_saved" in imported.err, imported.err
    assert "not written, `kehu check` would reject it: at most 1000 points a sale (plugin cap)" in imported.err
    fresh = reopen(store)
    deltas = sorted(int(e["delta"]) for cid in fresh.iter_customer_ids() for e in fresh.ledger(cid, "points"))
    assert deltas == [50], deltas  # the small sale's points; the big one's refused, its sale kept
    assert sum(len(fresh.interactions(cid)) for cid in fresh.iter_customer_ids()) == 2
    checked = run_kehu(store, "check")
    assert checked.code == 0, checked
