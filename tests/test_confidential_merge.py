"""`kehu customer merge` and confidential fields (issue 17 part 2): the merged-away customer's
encrypted fields are never lost, with real age keys made by pyrage.

* with a key that opens them they are carried into KEEP, encrypted to KEEP's readers; where
  both customers hold the field, KEEP's stays first and OTHER's text is appended (lists are
  unioned), as ``notes`` are joined;
* without a key, a field only OTHER holds is carried as its ciphertext when KEEP's readers are
  OTHER's; anything else that would need reading is refused, naming the fields, and nothing
  changes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.store import Store

from .conftest import git, kehu
from .test_confidential import FAMILY, PERSONALITY, as_, configure, keyfile

OTHER_FAMILY = "单身，父母在宁波"
OTHER_NOTE = "只在周末联系"


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    folder = tmp_path / "keys"
    folder.mkdir()
    return {name: keyfile(folder, name) for name in ("wang", "boss", "li")}


def add(store: Path, cid: str, name: str, owner: str, *sets: str) -> None:
    args = ["customer", "add", "--name", name, "--id", cid, "--owner", owner]
    for value in sets:
        args += ["--set", value]
    added = kehu(*args, store=store)
    assert added.code == 0, added.err


@pytest.fixture
def store(store_path: Path, keys) -> Path:
    """赵敏 (c1, 王芳's) with family and interests; 赵敏 again (c2) holding a different family,
    a personality c1 lacks and other interests. c2's owner is given per test."""
    configure(store_path, keys)
    add(store_path, "c1", "赵敏", "王芳", f"family={FAMILY}", "interests=龙井")
    return store_path


def line(store: Path, cid: str, name: str) -> str | None:
    text = Store.open(store).customer_file(cid).read_text(encoding="utf-8")
    return next((ln for ln in text.splitlines() if ln.startswith(f"{name}:")), None)


def test_a_key_holder_merge_carries_the_other_customers_fields_encrypted_to_keep(store: Path, keys) -> None:
    add(store, "c2", "赵敏", "李强", f"family={OTHER_FAMILY}", f"personality={PERSONALITY}",
        "interests=书法,龙井")
    merged = as_(keys["boss"][0], "customer", "merge", "c1", "c2", "--json", store=store)
    assert merged.code == 0, merged.err
    assert sorted(merged.json()["confidential"]) == ["family", "interests", "personality"]
    assert kehu("customer", "show", "c2", store=store).code == 1  # c2 is gone
    # c1's owner (王芳) reads what was 李强's customer's: encrypted again to c1's readers
    data = as_(keys["wang"][0], "customer", "show", "c1", "--json", store=store).json()
    assert "locked" not in data
    assert data["personality"] == PERSONALITY
    assert data["family"] == f"{FAMILY}\n{OTHER_FAMILY}"  # c1's first, c2's kept after it
    assert data["interests"] == ["龙井", "书法"]
    text = Store.open(store).customer_file("c1").read_text(encoding="utf-8")
    for secret in (FAMILY, OTHER_FAMILY, PERSONALITY, "书法"):
        assert secret not in text
    assert line(store, "c1", "personality").startswith("personality: age:")
    # 李强 (c2's former owner) no longer reads them; nothing plain reached git or also_known
    assert as_(keys["li"][0], "customer", "show", "c1", "--json", store=store).json()["locked"]
    assert OTHER_FAMILY not in git(store, "log", "-p", "--all")
    assert kehu("check", store=store).code == 0


def test_without_a_key_a_field_only_other_holds_moves_as_its_ciphertext(store: Path, keys) -> None:
    add(store, "c2", "赵敏", "王芳", f"personality={PERSONALITY}")  # the same owner: the same readers
    sealed = line(store, "c2", "personality")
    merged = kehu("customer", "merge", "c1", "c2", store=store)
    assert merged.code == 0, merged.err
    assert line(store, "c1", "personality") == sealed  # byte for byte: nothing was read
    assert as_(keys["wang"][0], "customer", "show", "c1", "--json", store=store).json()["personality"] == PERSONALITY
    assert "YWdl" not in merged.out + merged.err


@pytest.mark.parametrize("case", ["both hold family", "other readers"])
def test_without_a_key_a_merge_that_needs_reading_is_refused_naming_the_fields(store: Path, keys, case) -> None:
    if case == "both hold family":
        add(store, "c2", "赵敏", "王芳", f"family={OTHER_FAMILY}", f"notes={OTHER_NOTE}")
    else:  # 李强's customer: encrypted to 李强 and 主管, c1's fields to 王芳 and 主管
        add(store, "c2", "赵敏", "李强", f"personality={PERSONALITY}")
    files = {cid: Store.open(store).customer_file(cid).read_bytes() for cid in ("c1", "c2")}
    # no key; in the first case also 李强's key, which opens neither side
    for who in (None, "li") if case == "both hold family" else (None,):
        args = ("customer", "merge", "c1", "c2")
        refused = kehu(*args, store=store) if who is None else as_(keys[who][0], *args, store=store)
        assert refused.code == 1, refused.out
        assert "Traceback" not in refused.err
        named = "family" if case == "both hold family" else "personality"
        assert named in refused.err and "c2" in refused.err and "identity" in refused.err
        for cid, before in files.items():  # nothing changed, c2 is still there
            assert Store.open(store).customer_file(cid).read_bytes() == before
    # with a supervisor's key the same merge goes through and keeps both
    assert as_(keys["boss"][0], "customer", "merge", "c1", "c2", store=store).code == 0
    data = as_(keys["boss"][0], "customer", "show", "c1", "--json", store=store).json()
    if case == "both hold family":
        assert data["family"] == f"{FAMILY}\n{OTHER_FAMILY}" and data["notes"] == OTHER_NOTE
    else:
        assert data["personality"] == PERSONALITY


def test_a_plain_value_of_a_confidential_field_does_not_overwrite_keeps_encrypted_one(store: Path, keys) -> None:
    """OTHER's value written in plain (a hand edit, a field made confidential later) is joined
    like any other, and written encrypted."""
    add(store, "c2", "赵敏", "王芳")
    path = Store.open(store).customer_file("c2")
    path.write_text(path.read_text(encoding="utf-8") + f"family: {OTHER_FAMILY}\n", encoding="utf-8")
    assert kehu("customer", "merge", "c1", "c2", store=store).code == 1  # c1's is encrypted: needs a key
    assert as_(keys["wang"][0], "customer", "merge", "c1", "c2", store=store).code == 0
    data = as_(keys["wang"][0], "customer", "show", "c1", "--json", store=store).json()
    assert data["family"] == f"{FAMILY}\n{OTHER_FAMILY}"
    assert OTHER_FAMILY not in Store.open(store).customer_file("c1").read_text(encoding="utf-8")
