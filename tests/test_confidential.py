"""Confidential fields (issue 17 part 2): encrypted at rest with age, to real keys made by pyrage.

Every test goes through the real ``kehu`` commands on a real store (real git for history and
merges); the keys are real X25519 age identities written as age-keygen writes them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pyrage import x25519

from kehu_core.store import Store
from kehu_core.yamlio import load_fast

from .conftest import git, kehu
from .test_startup import imported_modules, unwanted

FAMILY = "已婚，女儿在杭州读大学"
PERSONALITY = "直爽，讨厌推销电话"
SECRETS = (FAMILY, PERSONALITY)


def keyfile(folder: Path, name: str) -> tuple[Path, str]:
    """A new age identity in ``folder/name.txt`` (age-keygen's layout) and its public key."""
    identity = x25519.Identity.generate()
    public = str(identity.to_public())
    path = folder / f"{name}.txt"
    path.write_text(f"# created: 2026-11-20T09:00:00+08:00\n# public key: {public}\n{identity}\n",
                    encoding="utf-8")
    return path, public


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    folder = tmp_path / "keys"
    folder.mkdir()
    return {name: keyfile(folder, name) for name in ("wang", "boss", "li", "stranger")}


def configure(store: Path, keys: dict[str, tuple[Path, str]], *, supervisors: bool = True) -> None:
    text = (store / "kehu.yaml").read_text(encoding="utf-8")
    text += ("confidential:\n"
             "  fields: [family, personality, interests]\n"
             "  recipients:\n"
             f"    王芳: {keys['wang'][1]}\n"
             f"    主管: {keys['boss'][1]}\n"
             f"    李强: {keys['li'][1]}\n"
             + ("  supervisors: [主管]\n" if supervisors else ""))
    (store / "kehu.yaml").write_text(text, encoding="utf-8")


def as_(key: Path, *args: str, store: Path) -> object:
    return kehu("--identity", str(key), *args, store=store)


@pytest.fixture
def store(store_path: Path, keys: dict[str, tuple[Path, str]]) -> Path:
    """A git store whose kehu.yaml makes family, personality and interests confidential,
    holding 赵敏 (c1, owned by 王芳) with both secrets and a plain field, committed."""
    configure(store_path, keys)
    added = kehu("customer", "add", "--name", "赵敏", "--id", "c1", "--owner", "王芳",
                 "--phone", "13912345678", "--set", f"family={FAMILY}",
                 "--set", f"personality={PERSONALITY}", "--set", "interests=龙井,书法", store=store_path)
    assert added.code == 0, added.err
    git(store_path, "add", "-A")
    git(store_path, "commit", "-qm", "赵敏")
    return store_path


def profile(store: Path) -> Path:
    return Store.open(store).customer_file("c1")


def test_the_file_holds_one_sealed_line_per_field_and_no_plain_text(store: Path) -> None:
    text = profile(store).read_text(encoding="utf-8")
    for secret in (*SECRETS, "龙井"):
        assert secret not in text
    lines = {ln.split(":", 1)[0]: ln for ln in text.splitlines()}
    for name in ("family", "personality", "interests"):
        assert lines[name].startswith(f"{name}: age:YWdlLWVuY3J5cHRpb24ub3JnL3Yx")
    assert "phones:" in text and "+8613912345678" in text  # not confidential: as before


def test_a_rep_without_the_key_sees_a_lock_and_no_plain_text(store: Path, keys) -> None:
    shown = kehu("customer", "show", "c1", store=store)
    assert shown.code == 0, shown.err
    assert "🔒" in shown.out and "赵敏" in shown.out
    as_json = kehu("customer", "show", "c1", "--json", store=store)
    assert as_json.code == 0
    data = as_json.json()
    assert sorted(data["locked"]) == ["family", "interests", "personality"]
    assert data["family"] is None and data["name"] == "赵敏"
    # another rep's own key (李强 owns nothing here) and a key kehu.yaml does not name
    for who in ("li", "stranger"):
        other = as_(keys[who][0], "customer", "show", "c1", "--json", store=store)
        assert other.code == 0, other.err
        assert sorted(other.json()["locked"]) == ["family", "interests", "personality"]
    for result in (shown, as_json, other):
        for secret in SECRETS:
            assert secret not in result.out + result.err
        assert "YWdl" not in result.out  # nor the ciphertext


def test_the_owner_and_the_supervisor_read_them_with_their_key(store: Path, keys, monkeypatch) -> None:
    data = as_(keys["wang"][0], "customer", "show", "c1", "--json", store=store).json()
    assert (data["family"], data["personality"], data["interests"]) == (FAMILY, PERSONALITY, ["龙井", "书法"])
    assert "locked" not in data
    monkeypatch.setenv("KEHU_IDENTITY", str(keys["boss"][0]))  # the environment variable works too
    shown = kehu("customer", "show", "c1", store=store)
    assert FAMILY in shown.out and "🔒" not in shown.out


def test_the_key_holder_edits_them_and_others_edit_the_rest_without_losing_them(store: Path, keys) -> None:
    before = profile(store).read_text(encoding="utf-8")
    family_line = next(ln for ln in before.splitlines() if ln.startswith("family:"))
    # a rep without a key changes a plain field: the encrypted lines stay byte for byte
    assert kehu("customer", "set", "c1", "level=金卡", "tags+=VIP", store=store).code == 0
    after = profile(store).read_text(encoding="utf-8")
    assert family_line in after.splitlines()
    # ... and cannot add to an encrypted list it cannot read
    refused = kehu("customer", "set", "c1", "interests+=围棋", store=store)
    assert refused.code == 1 and "interests is encrypted" in refused.err
    assert profile(store).read_text(encoding="utf-8") == after
    # the owner edits them as plain fields; they are written encrypted again
    edited = as_(keys["wang"][0], "customer", "set", "c1", "personality=爽快", "interests+=围棋", store=store)
    assert edited.code == 0, edited.err
    text = profile(store).read_text(encoding="utf-8")
    assert "爽快" not in text and "围棋" not in text
    data = as_(keys["boss"][0], "customer", "show", "c1", "--json", store=store).json()
    assert (data["family"], data["personality"], data["interests"]) == (FAMILY, "爽快", ["龙井", "书法", "围棋"])
    assert (data["level"], data["tags"]) == ("金卡", ["VIP"])
    # a confidential value is validated as any other field before it is encrypted
    bad = as_(keys["wang"][0], "customer", "set", "c1", "phones+=12", store=store)
    assert bad.code == 1


def test_nothing_plain_in_the_index_exports_or_git_history(store: Path, keys, tmp_path: Path) -> None:
    wang = keys["wang"][0]
    for args in (("customer", "list", "--json"), ("search", "赵敏", "--json"), ("reindex",),
                 ("customer", "show", "c1", "--json"), ("report", "abc", "--json"), ("check",)):
        result = as_(wang, *args, store=store)
        assert result.code == 0, (args, result.err)
        if args[0] != "customer" or args[1] != "show":
            assert not any(s in result.out for s in SECRETS), args
    assert as_(wang, "customer", "set", "c1", "family=离异", store=store).code == 0
    git(store, "commit", "-qam", "family changed")
    for path in (store / ".kehu").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in (*SECRETS, "离异"):
                assert secret.encode() not in data, path
    history = git(store, "log", "-p", "--all")
    assert not any(s in history for s in (*SECRETS, "离异"))
    # the diff still names the field that changed, and only it
    last = git(store, "show", "--format=", "HEAD")
    changed = [ln[1:].split(":")[0] for ln in last.splitlines()
               if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert changed == ["family", "family"]
    # exports leave them out unless the user has a key and asks
    plain_csv, open_csv = tmp_path / "plain.csv", tmp_path / "open.csv"
    assert as_(wang, "export", "--format", "csv", str(plain_csv), store=store).code == 0
    assert "离异" not in plain_csv.read_text(encoding="utf-8-sig")
    assert "YWdl" not in plain_csv.read_text(encoding="utf-8-sig")
    assert kehu("export", "--format", "csv", "--reveal", str(open_csv), store=store).code == 1
    assert as_(wang, "export", "--format", "csv", "--reveal", str(open_csv), store=store).code == 0
    assert "离异" in open_csv.read_text(encoding="utf-8-sig")


def clone(store: Path, where: Path) -> Path:
    git(where.parent, "clone", "-q", str(store), str(where))
    assert kehu("git-setup", store=where).code == 0
    return where


def test_a_merge_of_two_clones_keeps_both_sides_encrypted_edits(store: Path, keys, tmp_path: Path) -> None:
    a, b = clone(store, tmp_path / "a"), clone(store, tmp_path / "b")
    assert as_(keys["wang"][0], "customer", "set", "c1", "family=二胎", store=a).code == 0
    assert as_(keys["boss"][0], "customer", "set", "c1", "personality=谨慎", store=b).code == 0
    git(a, "commit", "-qam", "a: family")
    git(b, "commit", "-qam", "b: personality")
    git(b, "fetch", "-q", str(a), "HEAD")
    merged = subprocess.run(["git", "merge", "--no-edit", "FETCH_HEAD"], cwd=b, capture_output=True, text=True)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    data = as_(keys["wang"][0], "customer", "show", "c1", "--json", store=b).json()
    assert (data["family"], data["personality"]) == ("二胎", "谨慎")
    assert "conflicts" not in load_fast(profile(b))
    assert kehu("check", store=b).code == 0


def test_keys_rotate_add_and_remove(store: Path, keys, tmp_path: Path) -> None:
    new, new_public = keyfile(tmp_path, "zhao")
    # without an identity: the key is added, existing values stay as they were (and it says so)
    added = kehu("keys", "add", "赵主任", new_public, "--supervisor", store=store)
    assert added.code == 0 and "kehu keys rotate" in added.err
    assert as_(new, "customer", "show", "c1", "--json", store=store).json()["locked"]
    # rotate refuses clearly when the identity cannot open the values; nothing changes
    before = profile(store).read_text(encoding="utf-8")
    for who in ("li", "stranger"):
        refused = as_(keys[who][0], "keys", "rotate", store=store)
        assert refused.code == 1 and "cannot open" in refused.err and "customer.yaml: " in refused.err
        assert profile(store).read_text(encoding="utf-8") == before
    assert kehu("keys", "rotate", store=store).code == 1
    rotated = as_(keys["boss"][0], "keys", "rotate", "--json", store=store)
    assert rotated.code == 0, rotated.err
    assert rotated.json()["fields"] == 3
    assert as_(new, "customer", "show", "c1", "--json", store=store).json()["family"] == FAMILY
    listed = as_(new, "keys", "list", "--json", store=store).json()
    assert [r["name"] for r in listed["recipients"] if r["you"]] == ["赵主任"]
    # remove with an identity re-encrypts at once: the removed key no longer opens them
    assert as_(keys["boss"][0], "keys", "remove", "王芳", store=store).code == 0
    assert "王芳" not in (store / "kehu.yaml").read_text(encoding="utf-8")
    assert as_(keys["wang"][0], "customer", "show", "c1", "--json", store=store).json()["locked"]
    assert as_(new, "customer", "show", "c1", "--json", store=store).json()["personality"] == PERSONALITY
    gone = kehu("keys", "remove", "nobody", store=store)
    assert gone.code == 1 and "not a recipient" in gone.err


def test_a_new_owner_reads_after_a_handover_by_a_key_holder(store: Path, keys) -> None:
    assert as_(keys["boss"][0], "handover", "王芳", "李强", store=store).code == 0
    assert as_(keys["li"][0], "customer", "show", "c1", "--json", store=store).json()["family"] == FAMILY
    assert as_(keys["wang"][0], "customer", "show", "c1", "--json", store=store).json()["locked"]


def test_without_supervisors_every_recipient_reads_every_customer(store_path: Path, keys) -> None:
    configure(store_path, keys, supervisors=False)
    assert kehu("customer", "add", "--name", "周芷若", "--id", "c2", "--owner", "王芳",
                "--set", f"family={FAMILY}", store=store_path).code == 0
    assert as_(keys["li"][0], "customer", "show", "c2", "--json", store=store_path).json()["family"] == FAMILY
    assert as_(keys["stranger"][0], "customer", "show", "c2", "--json", store=store_path).json()["locked"]


def test_kehu_yaml_mistakes_are_refused_with_their_line(store_path: Path, keys) -> None:
    config = store_path / "kehu.yaml"
    base = config.read_text(encoding="utf-8")
    cases = {
        "  recipients: {王芳: age1notakey}\n": "王芳: 'age1notakey' is not an age public key",
        f"  recipients: {{王芳: {keys['wang'][1]}}}\n  supervisors: [主管]\n": "supervisors 主管 have no key",
        "  recipients: {}\n": "need at least one recipient",
    }
    for section, message in cases.items():
        config.write_text(base + "confidential:\n  fields: [family]\n" + section, encoding="utf-8")
        result = kehu("customer", "list", store=store_path)
        assert result.code == 1 and message in result.err, result.err
        assert result.err.startswith(f"{config.resolve()}:"), result.err
    config.write_text(base + f"confidential:\n  fields: [name]\n  recipients: {{王芳: {keys['wang'][1]}}}\n",
                      encoding="utf-8")
    refused = kehu("customer", "list", store=store_path)
    assert refused.code == 1 and "'name' cannot be confidential" in refused.err
    assert refused.err.startswith(f"{config.resolve()}:{len(base.splitlines()) + 2}:"), refused.err


def test_plain_commands_do_not_load_the_age_library(store: Path, keys) -> None:
    env = {"KEHU_STORE": str(store), "KEHU_IDENTITY": str(keys["wang"][0])}
    for args in (("search", "zm"), ("customer", "list"), ("customer", "set", "c1", "level=银卡")):
        assert unwanted(imported_modules(*args, env=env), ["pyrage"]) == [], args
    assert "pyrage" in imported_modules("customer", "show", "c1", env=env)


# --- the TUI ----------------------------------------------------------------------------------


def _tui_store(store: Path, key: Path | None) -> Store:
    from kehu_core.store import open_store

    opened = open_store(store)
    opened.identity_file = key  # what `kehu --identity FILE tui` sets
    return opened


@pytest.mark.asyncio
async def test_the_tui_shows_plain_fields_to_a_key_holder_and_a_lock_to_others(store: Path, keys) -> None:
    from kehu_tui.screens.customer import CustomerScreen
    from kehu_tui.screens.edit import EditCustomerScreen

    from kehu_core.testing import screen_text, tui, wait_until

    # without a key: the detail shows the lock; the form locks the field and a save of
    # another field keeps the encrypted lines as they were
    before = profile(store).read_text(encoding="utf-8")
    async with tui(_tui_store(store, None)) as pilot:
        app = pilot.app
        app.push_screen(CustomerScreen(app.store, "c1"))
        await wait_until(pilot, lambda: "🔒" in screen_text(app), what="the lock mark")
        assert not any(s in screen_text(app) for s in SECRETS)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditCustomerScreen), what="the form")
        assert app.screen.query_one("#field-family").disabled
        assert "🔒" in app.screen.query_one("#field-family").value
        level = app.screen.query_one("#field-level")
        level.focus()
        await pilot.press(*"金卡")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerScreen), what="saved")
    after = profile(store).read_text(encoding="utf-8")
    assert "level: 金卡" in after
    assert [ln for ln in after.splitlines() if ln.startswith(("family", "personality", "interests"))] == \
        [ln for ln in before.splitlines() if ln.startswith(("family", "personality", "interests"))]
    # with the owner's key: plain on the detail screen, edited in the form, saved encrypted
    async with tui(_tui_store(store, keys["wang"][0])) as pilot:
        app = pilot.app
        app.push_screen(CustomerScreen(app.store, "c1"))
        await wait_until(pilot, lambda: FAMILY in screen_text(app), what="the plain family")
        assert "🔒" not in screen_text(app)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditCustomerScreen), what="the form")
        family = app.screen.query_one("#field-family")
        assert family.value == FAMILY and not family.disabled
        family.value = ""
        family.focus()
        await pilot.press(*"丧偶")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerScreen) and "丧偶" in screen_text(app),
                         what="the new value on the detail screen")
    text = profile(store).read_text(encoding="utf-8")
    assert "丧偶" not in text and "level: 金卡" in text
    assert as_(keys["boss"][0], "customer", "show", "c1", "--json", store=store).json()["family"] == "丧偶"


def test_kehu_edit_opens_them_in_plain_for_a_key_holder_and_saves_them_encrypted(
        store: Path, keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import tempfile

    seen = tmp_path / "seen.txt"
    script = tmp_path / "editor.py"
    script.write_text(
        "import pathlib, sys\n"
        "path = pathlib.Path(sys.argv[1])\n"
        "text = path.read_text(encoding='utf-8')\n"
        f"pathlib.Path({str(seen)!r}).write_text(text, encoding='utf-8')\n"
        "path.write_text(text.replace('直爽', '温和'), encoding='utf-8')\n", encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    temp = tmp_path / "temp"  # where the editor's copy is made
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    before = profile(store).read_text(encoding="utf-8")
    # without a key the editor gets the encrypted lines, and nothing changes
    assert kehu("edit", "c1", store=store).code == 0
    assert not any(s in seen.read_text(encoding="utf-8") for s in SECRETS)
    assert profile(store).read_text(encoding="utf-8") == before
    # with the owner's key: plain in the editor, encrypted on disk, untouched fields unchurned
    edited = as_(keys["wang"][0], "edit", "c1", store=store)
    assert edited.code == 0, edited.err
    assert FAMILY in seen.read_text(encoding="utf-8")
    after = profile(store).read_text(encoding="utf-8")
    assert "温和" not in after and PERSONALITY not in after
    family = [ln for ln in before.splitlines() if ln.startswith("family:")]
    assert family and family[0] in after.splitlines()
    assert as_(keys["boss"][0], "customer", "show", "c1", "--json", store=store).json()["personality"] == \
        PERSONALITY.replace("直爽", "温和")
    assert list(temp.iterdir()) == []  # the plain copy is gone


def test_kehu_check_finds_a_confidential_value_written_in_plain(store: Path, keys) -> None:
    path = profile(store)
    path.write_text(path.read_text(encoding="utf-8") + "notes: 欠款未还\n", encoding="utf-8")
    config = store / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "fields: [family, personality, interests]", "fields: [family, personality, interests, notes]"),
        encoding="utf-8")
    found = kehu("check", store=store)
    assert found.code == 1 and "notes: confidential (kehu.yaml) but written in plain text" in found.out
    assert kehu("customer", "list", "--json", store=store).code == 0  # the index has read it, in plain
    assert as_(keys["boss"][0], "keys", "rotate", store=store).code == 0
    assert "欠款未还" not in path.read_text(encoding="utf-8")
    for kept in (store / ".kehu").rglob("*"):  # nor in the index (its log, freed pages) or the journal
        assert not kept.is_file() or "欠款未还".encode() not in kept.read_bytes(), kept
    assert kehu("check", store=store).code == 0
    assert as_(keys["wang"][0], "customer", "show", "c1", "--json", store=store).json()["notes"] == "欠款未还"


def _waiting(pid: int) -> bool:
    """Whether process ``pid`` sleeps, as a kehu process waiting for the store's lock polls it."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text() in ("hrtimer_nanosleep", "do_nanosleep")
    except OSError:
        return False


def test_keys_rotate_loses_no_edit_made_while_it_waits(store: Path, keys) -> None:
    """`kehu keys rotate` read every confidential value first and wrote them back one customer at
    a time, each under the store's lock: a field another process changed meanwhile (while
    rotate waited for the lock) was written back as rotate had read it, the edit lost without a
    word. Rotate reads and writes under one hold of the lock: it reads what the other wrote."""
    import sys
    import time

    holder = Store.open(store)
    with holder.lock():  # another process writing: rotate must wait for it
        rotating = subprocess.Popen(
            [sys.executable, "-m", "kehu_core", "--store", str(store), "--identity", str(keys["boss"][0]),
             "keys", "rotate"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not _waiting(rotating.pid):  # until it waits for the lock
            assert rotating.poll() is None and time.monotonic() < deadline, rotating.communicate()
            time.sleep(0.01)
        holder.update_customer("c1", {"family": "离婚了，儿子在上海"})
    out, err = rotating.communicate(timeout=120)
    assert rotating.returncode == 0, err
    shown = as_(keys["boss"][0], "customer", "show", "c1", "--json", store=store).json()
    assert shown["family"] == "离婚了，儿子在上海", shown["family"]
    assert shown["personality"] == PERSONALITY
