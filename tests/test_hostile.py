"""Hostile input: every broken file or argument gets ``path:line: message``, exit 1, and the
store is byte-for-byte unchanged.

The files are in ``tests/hostile/`` (``customer/``, ``interaction/``, ``ledger/``,
``config/``), each planted into a copy of a small store where a real one would live; the
big ones (10 MB notes, random binary) are generated here.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
from pathlib import Path

import pytest

from kehu_core.ids import shard
from kehu_core.store import Store

from .conftest import kehu

HOSTILE = Path(__file__).parent / "hostile"
HID = "h0001"  # the folder the hostile customer file is planted in
TEN_MB = 10 * 1024 * 1024

# file -> (line, what the message must say). Every file in tests/hostile/ must be listed.
EXPECT: dict[str, tuple[int, str]] = {
    "customer/alias-bomb.yaml": (7, "repeat more than 10000 values in all (an alias bomb)"),
    "customer/bad-indentation.yaml": (3, "mapping values are not allowed"),
    "customer/birthday-month-13.yaml": (3, "birthday '1990-13-45': there is no month 13"),
    "customer/birthday-number.yaml": (3, "expected YYYY-MM-DD or --MM-DD"),
    "customer/conflict-markers.yaml": (3, "unresolved git merge conflict"),
    "customer/control-character.yaml": (2, "U+0007 is a control character"),
    "customer/created-yesterday.yaml": (3, "created: 'yesterday' is no date; write it as YYYY-MM-DD"),
    "customer/custom-tag.yaml": (2, "could not determine a constructor for the tag '!shell'"),
    "customer/deep-nesting.yaml": (3, "recursion limit exceeded"),
    "customer/do-not-contact-maybe.yaml": (3, "do_not_contact: 'maybe' is not yes or no; write true/yes/1/on/是 or f"),
    "customer/duplicate-key-id.yaml": (2, "duplicate key 'id'"),
    "customer/duplicate-key-name.yaml": (4, "duplicate key 'name'"),
    "customer/email-invalid.yaml": (4, "emails.0: not an email address"),
    "customer/empty.yaml": (1, "expected a mapping of customer fields"),
    "customer/gbk.yaml": (2, "not valid UTF-8"),
    "customer/id-mismatch.yaml": (1, "id 'h0002' does not match its folder 'h0001'"),
    "customer/id-slash.yaml": (1, "invalid customer id 'a/b'"),
    "customer/id-traversal.yaml": (1, "invalid customer id '../../etc/passwd'"),
    "customer/key-is-a-list.yaml": (1, "Keys should be strings"),
    "customer/latin1.yaml": (2, "not valid UTF-8"),
    "customer/lunar-birthday-invalid.yaml": (3, "lunar birthday '13-40'"),
    "customer/name-empty.yaml": (2, "name: String should have at least 1 character"),
    "customer/name-is-list.yaml": (2, "name: Input should be a valid string"),
    "customer/name-is-timestamp-tag.yaml": (2, "name: expected text, and YAML reads this as a date"),
    "customer/name-missing.yaml": (1, "name: Field required"),
    "customer/name-too-long.yaml": (2, "at most 200 characters"),
    "customer/only-comment.yaml": (1, "expected a mapping of customer fields"),
    "customer/phone-impossible.yaml": (4, "not a phone number: '12' is too short for region CN"),
    "customer/phones-is-mapping.yaml": (3, "phones: Input should be a valid list"),
    "customer/phones-null-items.yaml": (4, "phones.0: Input should be a valid string"),
    "customer/png-header.yaml": (1, "binary file"),
    "customer/python-module-field.yaml": (3, "python/module:os"),
    "customer/python-name-field.yaml": (3, "python/name:os.system"),
    "customer/python-object-apply.yaml": (1, "python/object/apply:os.system"),
    "customer/python-object-nested.yaml": (5, "python/object/apply:subprocess.check_output"),
    "customer/python-object-new-field.yaml": (2, "python/object/new:builtins.str"),
    "customer/referrer-traversal.yaml": (3, "invalid referrer id '../../x'"),
    "customer/spreadsheet-formula-referrer.yaml": (3, "invalid referrer id '=HYPERLINK"),
    "customer/tab-indentation.yaml": (4, "tabs"),
    "customer/tags-is-number.yaml": (3, "tags: Input should be a valid list"),
    "customer/top-level-list.yaml": (1, "expected a mapping of customer fields"),
    "customer/top-level-scalar.yaml": (1, "expected a mapping of customer fields"),
    "customer/two-documents.yaml": (3, "expected a single document"),
    "customer/unclosed-flow.yaml": (3, "invalid YAML"),
    "customer/unclosed-quote.yaml": (3, "invalid YAML"),
    "customer/undefined-alias.yaml": (2, "unknown anchor"),
    "customer/utf16.yaml": (1, "UTF-16 text"),
    "interaction/amount-huge.yaml": (3, "amount: NaN or an infinity, which is no number"),
    "interaction/amount-nan.yaml": (3, "amount: NaN or an infinity, which is no number"),
    "interaction/amount-text.yaml": (3, "amount: Input should be a valid decimal"),
    "interaction/complaint-status.yaml": (3, "status: Input should be 'open', 'acknowledged', 'resolved' or 'closed'"),
    "interaction/conflict-markers.yaml": (2, "unresolved git merge conflict"),
    "interaction/date-feb-30.yaml": (2, "date: Input should be a valid date"),
    "interaction/empty.yaml": (1, "expected a mapping of interaction fields"),
    "interaction/id-mismatch.yaml": (1, "does not match the file name"),
    "interaction/invalid-utf8.yaml": (3, "not valid UTF-8"),
    "interaction/items-not-list.yaml": (3, "items: Input should be a valid list"),
    "interaction/missing-date.yaml": (1, "date: Field required"),
    "interaction/missing-kind.yaml": (1, "'kind'"),
    "interaction/paid-maybe.yaml": (4, "paid: 'maybe' is not yes or no"),
    "interaction/purchase-without-price.yaml": (1, "a purchase needs an amount"),
    "interaction/python-tag.yaml": (3, "python/object/apply:os.system"),
    "interaction/qty-negative.yaml": (5, "items.0.qty: qty must be more than 0"),
    "interaction/rating-nine.yaml": (3, "rating: Input should be less than or equal to 5"),
    "interaction/top-level-list.yaml": (1, "expected a mapping of interaction fields"),
    "interaction/unknown-kind.yaml": (1, "'teleport'"),
    "ledger/half-line.yaml": (2, "invalid YAML"),  # its own line (the parser of the file said 3: none)
    "ledger/mapping.yaml": (1, "not a ledger entry"),
    "ledger/python-tag.yaml": (1, "python/object/apply:os.system"),
    "ledger/scalar-entries.yaml": (1, "not a ledger entry"),
    "config/broken.yaml": (3, "invalid YAML"),
    "config/not-a-mapping.yaml": (1, "expected a mapping of settings"),
    "config/python-tag.yaml": (2, "python/object/apply:os.system"),
}


def _generated() -> dict[str, tuple[bytes, int, str]]:
    """Hostile files too big or too random to keep in git: name -> (bytes, line, message)."""
    rng = random.Random(1)
    good = f"id: {HID}\nname: 赵敏\n".encode()
    lines = b"".join(f"k{i}: v{i}\n".encode() for i in range(47))
    return {
        "customer/notes-10mb.yaml": (good + b"notes: " + "很长的备注".encode() * (TEN_MB // 15) + b"\n",
                                     1, "records are at most"),
        "customer/random-binary.yaml": (bytes(rng.randrange(256) for _ in range(65536)) + b"\0",
                                        1, "binary file"),
        "customer/invalid-utf8-line-50.yaml": (good + lines + b"notes: caf\xe9\n", 50, "not valid UTF-8"),
        "interaction/text-10mb.yaml": (b"kind: note\ndate: 2026-11-01\ntext: " + b"x" * TEN_MB + b"\n",
                                       1, "records are at most"),
        "ledger/binary.yaml": (b"- {date: 2026-11-01}\n\0\0\0", 1, "binary file"),
        # saved as "UTF-32" by an editor: named so, not as UTF-16, whose mark begins UTF-32's
        "customer/utf32.yaml": (good.decode().encode("utf-32"), 1, "UTF-32 text (it starts with a UTF-32 byte"),
    }


CASES = sorted(EXPECT) + sorted(_generated())


def test_the_hostile_set_is_big_enough_and_every_file_has_an_expectation() -> None:
    on_disk = {p.relative_to(HOSTILE).as_posix() for p in HOSTILE.rglob("*.yaml")}
    assert on_disk == set(EXPECT)
    assert len(CASES) >= 50


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("hostile") / "base"
    assert kehu("init", str(path), "--no-git").code == 0
    ids = []
    for name, phone in (("李雷", "13800138000"), ("韩梅梅", "13912345678")):
        ids.append(kehu("customer", "add", "--name", name, "--phone", phone, store=path).out.strip())
    kehu("purchase", "add", ids[0], "--item", "普洱", "--price", "300", "--date", "2026-11-01",
         store=path)
    shutil.rmtree(path / ".kehu", ignore_errors=True)
    return path, ids


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == ".kehu" or rel.startswith(".kehu/"):
            continue  # derived index: rebuilt at will, not part of the store
        digest.update(rel.encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def plant(store: Path, case: str) -> Path:
    kind = case.split("/")[0]
    content = _generated()[case][0] if case in _generated() else (HOSTILE / case).read_bytes()
    folder = store / "customers" / shard(HID) / HID
    if kind == "config":
        target = store / "kehu.yaml"
    else:
        if kind != "customer":
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "customer.yaml").write_text(f"id: {HID}\nname: 赵敏\n", encoding="utf-8")
        target = {
            "customer": folder / "customer.yaml",
            "interaction": folder / "interactions" / "2026-11-01-hostile1.yaml",
            "ledger": folder / "points.ledger.yaml",
        }[kind]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return target


@pytest.mark.parametrize("case", CASES)
def test_hostile_file_is_reported_with_path_and_line_and_nothing_changes(
    case: str, base_store: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a `touch pwned` that ran would show up here
    base, good_ids = base_store
    store = tmp_path / "store"
    shutil.copytree(base, store)
    target = plant(store, case)
    line, message = _generated()[case][1:] if case in _generated() else EXPECT[case]
    before = tree_hash(store)

    check = kehu("check", store=store)

    assert check.code == 1, check.out + check.err
    reported = check.out + check.err
    assert f"{target}:{line}: " in reported, reported[:2000]
    ours = [ln for ln in reported.splitlines() if ln.startswith(f"{target}:{line}: ")]
    assert any(message in ln for ln in ours), ours
    kind = case.split("/")[0]
    if kind == "customer":
        shown = kehu("customer", "show", HID, store=store)
        assert shown.code == 1 and f"{target}:" in shown.err, shown.err[:500]
        edited = kehu("customer", "set", HID, "level=金卡", store=store)
        assert edited.code == 1 and f"{target}:" in edited.err, edited.err[:500]
    if kind == "config":
        listed = kehu("customer", "list", store=store)
        assert listed.code == 1 and f"{target}:{line}: " in listed.err
    else:  # one broken file does not take the good customers down with it
        listed = kehu("customer", "list", "--json", store=store)
        assert listed.code == 0, listed.err
        assert set(good_ids) <= {c["id"] for c in listed.json()}
    assert tree_hash(store) == before
    assert not list(tmp_path.rglob("pwned"))


# --- hostile arguments: refused before anything is written -----------------------------------

GOOD = "{good}"
ARGS: list[tuple[list[str], str]] = [
    (["customer", "add", "--name", "x", "--id", "../x"], "invalid customer id '../x'"),
    (["customer", "add", "--name", "x", "--id", "a/b"], "invalid customer id 'a/b'"),
    (["customer", "add", "--name", "x", "--id", ".."], "invalid customer id '..'"),
    (["customer", "add", "--name", "x", "--id", GOOD], "already exists"),
    (["customer", "add", "--name", "  "], "name"),
    (["customer", "add", "--name", "x", "--phone", "12"], "not a phone number: '12' is too short"),
    (["customer", "add", "--name", "x", "--email", "a@@b"], "not an email address"),
    (["customer", "add", "--name", "x", "--birthday", "1990-13-01"], "there is no month 13"),
    (["customer", "add", "--name", "x", "--referrer", "../../etc"], "invalid referrer id"),
    (["customer", "add", "--name", "x", "--referrer", "nobody"], "no such customer"),
    (["customer", "add", "--name", "x", "--note", "备" * TEN_MB], "records are at most"),
    (["customer", "show", "../../etc/passwd"], "invalid customer id"),
    (["customer", "set", GOOD, "id=other"], "cannot be changed"),
    (["customer", "set", GOOD, "birthday=1990-02-30"], "birthday"),
    (["customer", "set", GOOD, "phones+=abc"], "not a phone number"),
    (["customer", "set", GOOD, "name="], "name"),
    (["customer", "set", GOOD, "referrer=../x"], "invalid referrer id"),
    (["customer", "set", GOOD, "notes=" + "x" * TEN_MB], "records are at most"),
    (["customer", "set", "../x", "level=1"], "invalid customer id"),
    (["purchase", "add", GOOD, "--item", "普洱", "--price", "abc"], "is not an amount"),
    (["purchase", "add", GOOD, "--item", "普洱", "--price", "-5"], "non-negative"),
    (["purchase", "add", GOOD, "--amount", "1e400"], "amount"),
    (["purchase", "add", GOOD, "--item", "普洱", "--price", "=1+1"], "is not an amount"),
    (["purchase", "add", "nobody", "--item", "普洱", "--price", "1"], "no customer with id"),
    (["purchase", "add", GOOD, "--item", "x", "--price", "1", "--date", "2026-02-30"], "not a date"),
    (["interaction", "add", GOOD, "--kind", "teleport", "--text", "x"], "teleport"),
    (["interaction", "add", GOOD, "--kind", "feedback", "--rating", "9", "--text", "x"], "rating"),
    (["handover", "nobody", "someone"], "unknown rep 'nobody'"),
]


@pytest.mark.parametrize("argv", [a for a, _ in ARGS], ids=[" ".join(a)[:60] for a, _ in ARGS])
def test_hostile_arguments_are_refused_and_nothing_is_written(
    argv: list[str], base_store: tuple[Path, list[str]], tmp_path: Path
) -> None:
    message = dict((tuple(a), m) for a, m in ARGS)[tuple(argv)]
    base, good_ids = base_store
    store = tmp_path / "store"
    shutil.copytree(base, store)
    argv = [a.replace(GOOD, good_ids[0]) for a in argv]
    before = tree_hash(store)

    result = kehu(*argv, store=store)

    assert result.code in (1, 2), result  # 2: click's usage errors (a value of the wrong type)
    assert message in result.err, result.err[:500]
    assert tree_hash(store) == before
    assert not (tmp_path / "x").exists() and not (store.parent / "x").exists()
    assert Store.open(store).get(good_ids[0]).name == "李雷"
    assert os.path.exists(store / "kehu.yaml")
