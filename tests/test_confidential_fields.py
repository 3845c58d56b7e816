"""Naming the confidential fields (issue 17 part 2): ``kehu keys add`` on a store with none
makes the default ones confidential (or those of ``--field``), ``kehu keys fields add|remove``
changes them; values already written in plain are encrypted at once to their readers (real age
keys made by pyrage), and a field made plain again is opened only with a key that opens it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kehu_core.store import Store

from .conftest import kehu
from .test_confidential import as_, keyfile

FAMILY, PERSONALITY, NOTE = "已婚，女儿在杭州读大学", "直爽，讨厌推销电话", "喜欢明前龙井"


def _keys(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    folder = tmp_path / "keys"
    folder.mkdir()
    return {name: keyfile(folder, name) for name in ("wang", "li", "boss")}


def _customers(store: Path) -> dict[str, str]:
    """赵敏 (王芳's) and 钱多多 (李强's), their family, personality and notes in plain."""
    out = {}
    for name, owner in (("赵敏", "王芳"), ("钱多多", "李强")):
        added = kehu("customer", "add", "--name", name, "--owner", owner, "--set", f"family={FAMILY}",
                     "--set", f"personality={PERSONALITY}", "--set", f"notes={NOTE}", store=store)
        assert added.code == 0, added.err
        out[name] = added.out.strip().splitlines()[-1]
    return out


def _file(store: Path, cid: str) -> str:
    return Store.open(store).customer_file(cid).read_text(encoding="utf-8")


def _tree_hash(store: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in store.rglob("*") if p.is_file() and ".git" not in p.parts and ".kehu" not in p.parts):
        digest.update(str(path.relative_to(store)).encode() + path.read_bytes())
    return digest.hexdigest()


def test_keys_add_on_a_store_without_fields_makes_the_default_ones_confidential(
        store_path: Path, tmp_path: Path) -> None:
    keys = _keys(tmp_path)
    ids = _customers(store_path)
    assert kehu("keys", "fields", "--json", store=store_path).json() == {"fields": []}
    assert kehu("customer", "set", ids["赵敏"], "title=老板", store=store_path).code == 0  # a copy with the secrets
    added = kehu("keys", "add", "王芳", keys["wang"][1], store=store_path)
    assert added.code == 0, added.err
    assert "family, personality made confidential (the default" in added.err
    assert "4 values written in plain encrypted" in added.err and "rotate" not in added.err
    config = (store_path / "kehu.yaml").read_text(encoding="utf-8")
    assert "fields: []" not in config and "- family" in config and "- personality" in config
    for cid in ids.values():
        text = _file(store_path, cid)
        assert FAMILY not in text and PERSONALITY not in text and NOTE in text  # notes stay plain
        assert "family: age:" in text and "personality: age:" in text
    # 王芳 reads her customer with her key; without a key, a lock
    mine = as_(keys["wang"][0], "customer", "show", ids["赵敏"], "--json", store=store_path).json()
    assert (mine["family"], mine["personality"]) == (FAMILY, PERSONALITY)
    other = kehu("customer", "show", ids["赵敏"], "--json", store=store_path).json()
    assert other["family"] is None and set(other["locked"]) == {"family", "personality"}

    # nothing plain is left in .kehu/: not the index, not the change journal's copies of the
    # files nor its command lines (customer add --set family=...), so the change cannot be undone
    assert "1 earlier change can no longer be undone" in added.err
    for path in (store_path / ".kehu").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert FAMILY.encode() not in data and PERSONALITY.encode() not in data, path
    assert "family=🔒" in kehu("undo", "--list", store=store_path).out
    refused = kehu("undo", store=store_path)
    assert refused.code == 1 and "no longer keeps its files" in refused.err
    assert "family: age:" in _file(store_path, ids["赵敏"])
    assert kehu("customer", "set", ids["赵敏"], "notes=改过", store=store_path).code == 0
    assert kehu("undo", store=store_path).code == 0  # a later change, with no plain secret: undone
    assert NOTE in _file(store_path, ids["赵敏"]) and "family: age:" in _file(store_path, ids["赵敏"])


def test_keys_add_with_fields_names_them(store_path: Path, tmp_path: Path) -> None:
    keys = _keys(tmp_path)
    ids = _customers(store_path)
    added = kehu("keys", "add", "王芳", keys["wang"][1], "--field", "notes", "--field", "family",
                 store=store_path)
    assert added.code == 0, added.err
    assert kehu("keys", "fields", "--json", store=store_path).json() == {"fields": ["notes", "family"]}
    text = _file(store_path, ids["赵敏"])
    assert NOTE not in text and FAMILY not in text and PERSONALITY in text
    shown = as_(keys["wang"][0], "customer", "show", ids["赵敏"], "--json", store=store_path).json()
    assert (shown["notes"], shown["family"]) == (NOTE, FAMILY)


def test_fields_add_encrypts_plain_values_to_their_readers_and_remove_needs_a_key(
        store_path: Path, tmp_path: Path) -> None:
    keys = _keys(tmp_path)
    ids = _customers(store_path)
    for name, key, extra in (("王芳", "wang", ()), ("李强", "li", ()), ("主管", "boss", ("--supervisor",))):
        assert kehu("keys", "add", name, keys[key][1], "--field", "family", *extra, store=store_path).code == 0
    # notes become confidential: encrypted at once, with no private key at hand
    done = kehu("keys", "fields", "add", "notes", "--json", store=store_path)
    assert done.code == 0, done.err
    assert done.json()["encrypted"] == 2 and done.json()["fields"] == ["family", "notes"]
    for cid in ids.values():
        assert NOTE not in _file(store_path, cid) and "notes: age:" in _file(store_path, cid)
    # the owner and the supervisor read 赵敏's notes; 李强, who does not own her, cannot
    assert as_(keys["wang"][0], "customer", "show", ids["赵敏"], "--json", store=store_path).json()["notes"] == NOTE
    assert as_(keys["boss"][0], "customer", "show", ids["赵敏"], "--json", store=store_path).json()["notes"] == NOTE
    li = as_(keys["li"][0], "customer", "show", ids["赵敏"], "--json", store=store_path).json()
    assert li["notes"] is None and "notes" in li["locked"]
    assert as_(keys["li"][0], "customer", "show", ids["钱多多"], "--json", store=store_path).json()["notes"] == NOTE

    # plain again: refused without a key, or with one that opens only some; nothing changed
    before = _tree_hash(store_path)
    refused = kehu("keys", "fields", "remove", "notes", store=store_path)
    assert refused.code == 1 and "identity" in refused.err and "Traceback" not in refused.err
    partial = as_(keys["li"][0], "keys", "fields", "remove", "notes", store=store_path)
    assert partial.code == 1 and "notes" in partial.err and "nothing was changed" in partial.err
    assert _tree_hash(store_path) == before
    opened = as_(keys["boss"][0], "keys", "fields", "remove", "notes", store=store_path)
    assert opened.code == 0, opened.err
    assert "2 encrypted values written in plain" in opened.err
    for cid in ids.values():
        assert f"notes: {NOTE}" in _file(store_path, cid) and FAMILY not in _file(store_path, cid)
    assert kehu("keys", "fields", "--json", store=store_path).json() == {"fields": ["family"]}


def test_fields_that_cannot_be_confidential_are_refused(store_path: Path, tmp_path: Path) -> None:
    keys = _keys(tmp_path)
    assert kehu("keys", "add", "王芳", keys["wang"][1], store=store_path).code == 0
    before = _tree_hash(store_path)
    for bad, said in (("name", "cannot be confidential"), ("my notes", "not a field name")):
        refused = kehu("keys", "fields", "add", bad, store=store_path)
        assert refused.code == 1 and said in refused.err and "Traceback" not in refused.err
    assert _tree_hash(store_path) == before
    typo = kehu("keys", "fields", "add", "famly", store=store_path)
    assert typo.code == 0 and "famly is not one of kehu's profile fields" in typo.err
    nobody = kehu("keys", "fields", "add", "notes", store=store_path)
    assert nobody.code == 0
    fresh = tmp_path / "fresh"
    assert kehu("init", str(fresh)).code == 0
    without = kehu("keys", "fields", "add", "notes", store=fresh)  # no recipient to encrypt to
    assert without.code == 1 and "no recipient" in without.err and "kehu keys add NAME AGE_PUBKEY" in without.err
    bad_key = kehu("keys", "add", "王芳", "age1notakey", store=fresh)  # the section is new: its line
    assert bad_key.code == 1 and "is not an age public key" in bad_key.err and "internal error" not in bad_key.err


def test_encrypting_card_fields_keeps_the_weekly_reports_completeness(store_path: Path, tmp_path: Path) -> None:
    """An encrypted family or personality is filled in: kehu report reps counts it as the
    plain one was (the index never holds it; the file says it is there)."""
    keys = _keys(tmp_path)
    _customers(store_path)

    def completeness() -> dict[str, float]:
        report = kehu("report", "reps", "--json", store=store_path).json()
        return {r["rep"]: r["figures"]["completeness"]["value"] for r in report["reps"]}

    before = completeness()
    assert kehu("keys", "add", "王芳", keys["wang"][1], "--supervisor", store=store_path).code == 0
    assert "family: age:" in _file(store_path, _customers_ids(store_path)["赵敏"])
    assert completeness() == before and before["王芳"] > 0
    cid = _customers_ids(store_path)["钱多多"]
    assert kehu("customer", "set", cid, "family=", "personality=", store=store_path).code == 0
    assert completeness()["李强"] < before["李强"]  # emptied: no longer filled


def _customers_ids(store: Path) -> dict[str, str]:
    return {c["name"]: c["id"] for c in kehu("customer", "list", "--json", store=store).json()}


def test_keys_list_in_both_languages(store_path: Path, tmp_path: Path) -> None:
    keys = _keys(tmp_path)
    assert kehu("keys", "add", "王芳", keys["wang"][1], store=store_path).code == 0
    assert kehu("keys", "add", "主管", keys["boss"][1], "--supervisor", store=store_path).code == 0
    english = as_(keys["wang"][0], "keys", "list", store=store_path).out
    assert "reads the customers they own  ← you" in english and "supervisor, reads every customer" in english
    chinese = as_(keys["wang"][0], "--lang", "zh_CN", "keys", "list", store=store_path).out
    assert "可读自己负责的客户  ← 你" in chinese and "主管，可读全部客户" in chinese
    assert "reads" not in chinese and "supervisor" not in chinese
