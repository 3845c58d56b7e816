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


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see the other process wait")
def test_two_reps_adding_to_one_plan_at_one_moment_both_stand(tmp_path: Path) -> None:
    """`kehu visits plan --add` read the day's plan before it took the store's lock: another
    `--add` to the same plan written meanwhile was lost by its write (exit 0 both)."""
    from kehu_core.store import Store
    from kehu_core.visits.plan import edit_plan

    from .test_hostile_concurrent import _waiting_for_the_lock

    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    first = kehu("customer", "add", "--name", "赵敏", "--owner", "王芳", store=path).out.strip()
    second = kehu("customer", "add", "--name", "周芷若", "--owner", "王芳", store=path).out.strip()
    store = Store.open(path)
    with store.lock():
        proc = _waiting_for_the_lock(path, "visits", "plan", "--owner", "王芳", "--date", "2026-11-20",
                                     "--add", first)
        edit_plan(store, "王芳", __import__("datetime").date(2026, 11, 20), add=(second,))  # meanwhile
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (out, err)
    plan = kehu("visits", "plan", "--owner", "王芳", "--date", "2026-11-20", "--json", store=path).json()
    assert {v["id"] for v in plan["visits"]} == {first, second}, plan


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see the other process wait")
def test_two_keys_added_at_one_moment_both_stand(tmp_path: Path) -> None:
    """`kehu keys add` read kehu.yaml, changed it and wrote it without the store's lock: a
    colleague's `kehu keys add` written meanwhile was lost (exit 0 both), and that rep could
    not read the confidential fields encrypted from then on."""
    from kehu_core.services import keys
    from kehu_core.store import Store

    from .test_hostile_concurrent import _waiting_for_the_lock

    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    store = Store.open(path)
    with store.lock():
        proc = _waiting_for_the_lock(path, "keys", "add", "王芳",
                                     "age16m2swzgstprcqx0d26pxlcjts80d43u54473c7ztwree7ztkvymsphhjff")
        keys.add(store, "李四", "age1cgrfmcet9ph4ywex4ax9c7desmm2rg0naywepxwywdf939gtvymsn5qa3f")  # meanwhile
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (out, err)
    listed = kehu("keys", "list", "--json", store=path)
    assert sorted(r["name"] for r in listed.json()["recipients"]) == ["李四", "王芳"], listed.out


def test_a_store_without_the_tiering_plugin_plans_visits_and_checks_ok(store: tuple[Path, str]) -> None:
    """``visits: dormant_tiers`` left at its default names the tiering plugin's tiers: with the
    plugin disabled, `kehu visits plan` failed for every rep ("no enabled plugin computes
    tiers", at kehu.yaml line 1, a line nobody wrote). No customer is large there."""
    path, cid = store
    config = path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("disabled: []", "disabled: [tiering]"),
                      encoding="utf-8")
    planned = kehu("visits", "plan", "--owner", "王芳", "--add", cid, store=path)
    assert planned.code == 0, planned.err
    assert kehu("check", store=path).code == 0


@pytest.mark.parametrize("argv", [("customer", "list", "--json"), ("complaint", "list", "--json"),
                                  ("reminders", "--days", "400", "--json"), ("report", "credit", "--json")])
def test_a_rep_typed_with_spaces_filters_as_the_rep_stored(store: tuple[Path, str], argv: tuple[str, ...]) -> None:
    """Every door that stores an owner takes the spaces off it (`--owner " 王芳 "` is stored
    王芳), and `visits plan --owner " 王芳 "` takes 王芳; the lists, reports and reminders
    filtered by `--owner " 王芳 "` (a paste) found nobody."""
    import json

    path, cid = store
    assert kehu("interaction", "add", cid, "--kind", "complaint", "--date", "2026-11-01", "--text", "慢",
                store=path).code == 0
    assert kehu("purchase", "add", cid, "--item", "茶", "--amount", "100", "--date", "2026-10-01", "--credit",
                store=path).code == 0
    plain = kehu(*argv, "--owner", "王芳", store=path)
    spaced = kehu(*argv, "--owner", " 王芳 ", store=path)
    assert plain.code == 0 and spaced.code == 0, spaced.err
    assert json.loads(plain.out) and json.loads(spaced.out) == json.loads(plain.out), (plain.out, spaced.out)
