"""Values that used to pass one door and not another (issue 16, kind 3): one set of rules, the
models of kehu_core/models.py, for the CLI, a hand edit (``kehu check``), imports and plugins.
Each refusal is a message with exit 1, the store left as it was; a bad value already in a file
is reported by ``kehu check`` at its line and does not take other commands down."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kehu_core.ids import shard

from .conftest import kehu
from .test_hostile import tree_hash


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    path = tmp_path_factory.mktemp("values") / "base"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "李雷", "--phone", "13800138000", store=path).out.strip()
    other = kehu("customer", "add", "--name", "韩梅梅", store=path).out.strip()
    assert kehu("purchase", "add", cid, "--amount", "300", "--date", "2026-11-01", "--paid", store=path).code == 0
    shutil.rmtree(path / ".kehu", ignore_errors=True)
    return path, cid, other


@pytest.fixture
def store(base: tuple[Path, str, str], tmp_path: Path) -> tuple[Path, str, str]:
    path = tmp_path / "store"
    shutil.copytree(base[0], path)
    return path, base[1], base[2]


def no_traceback(result: object) -> None:
    text = result.out + result.err  # type: ignore[attr-defined]
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]


REFUSED = [
    (["purchase", "add", "{id}", "--item", "茶", "--price", "1", "--qty", "1e309"],
     "items.0.qty: Decimal input should have no more than 12 digits"),
    (["purchase", "add", "{id}", "--item", "茶", "--price", "1", "--qty", "inf"], "finite number"),
    (["purchase", "add", "{id}", "--item", "茶", "--price", "1", "--qty", "nan"], "finite number"),
    (["purchase", "add", "{id}", "--item", "茶", "--price", "1", "--qty", "-2"], "qty must be more than 0"),
    (["purchase", "add", "{id}", "--amount", "5", "--date", "9999-12-31", "--allow-future"],
     "9999-12-31 is outside the dates kehu keeps (1900-01-01 to 2199-12-31)"),
    (["purchase", "add", "{id}", "--amount", "5", "--date", "0001-01-01"], "outside the dates kehu keeps"),
    (["interaction", "add", "{id}", "--kind", "visit", "--date", "1899-12-31", "--text", "x"],
     "outside the dates kehu keeps"),
    (["--today", "9999-12-31", "customer", "list"], "outside the dates kehu keeps"),
    (["customer", "set", "{id}", "conflicts=garbage"], "conflicts: expected the list a git merge leaves"),
    (["customer", "set", "{id}", "import_extra=garbage"], "import_extra: expected a mapping"),
    (["customer", "set", "{id}", "created=9999-12-31"], "outside the dates kehu keeps"),
    (["customer", "add", "--name", "x", "--id", "abc\n"], "invalid customer id 'abc\\n'"),
    (["customer", "add", "--name", "x", "--id", "ab\x07c"], "invalid customer id"),
    (["customer", "add", "--name", "x", "--id", "abc\r"], "invalid customer id"),
    (["customer", "add", "--name", "x", "--birthday", "1990-01-01\n"], "expected YYYY-MM-DD"),
    (["customer", "show", "{id}\n"], "invalid customer id"),
]


@pytest.mark.parametrize("argv", [a for a, _ in REFUSED], ids=[repr(" ".join(a))[:70] for a, _ in REFUSED])
def test_a_bad_value_is_refused_in_every_door_with_a_message(argv: list[str], store: tuple[Path, str, str]) -> None:
    path, cid, _ = store
    message = dict((tuple(a), m) for a, m in REFUSED)[tuple(argv)]
    before = tree_hash(path)
    result = kehu(*[a.replace("{id}", cid) for a in argv], store=path)
    no_traceback(result)
    assert result.code in (1, 2), result
    assert message in result.err, result.err
    assert tree_hash(path) == before
    assert not any("\n" in p.name or "\r" in p.name for p in path.rglob("*"))


def _purchase_file(path: Path, cid: str) -> Path:
    return next((path / "customers" / shard(cid) / cid / "interactions").glob("*.yaml"))


@pytest.mark.parametrize(("edit", "line", "message"), [
    (("amount: 300.00", "amount: -300.00"), 3, "amount: Input should be greater than or equal to 0"),
    (("date: 2026-11-01", "date: 9999-12-31"), 2, "date: 9999-12-31 is outside the dates kehu keeps"),
])
def test_a_hand_edited_value_the_cli_refuses_is_found_by_check(
        edit: tuple[str, str], line: int, message: str, store: tuple[Path, str, str]) -> None:
    path, cid, other = store
    record = _purchase_file(path, cid)
    record.write_text(record.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    before = tree_hash(path)
    check = kehu("check", store=path)
    no_traceback(check)
    assert check.code == 1
    assert f"{record}:{line}: {message}" in check.out + check.err
    # the points and reminders plugins go on for everyone else, on every later command
    for argv in (["reminders"], ["customer", "list"], ["customer", "show", other], ["points", "show", other]):
        result = kehu(*argv, store=path)
        no_traceback(result)
        assert result.code == 0, (argv, result.err)
    assert tree_hash(path) == before


@pytest.mark.parametrize(("line", "message"), [
    ("- {date: 2026-11-02, reason: redeem, delta: lots}", "delta: Input should be a valid integer"),
    ("- {date: 2026-13-40, reason: adjust, delta: 5}", "date: Input should be a valid date"),
    ("- {date: 9999-12-31, reason: adjust, delta: 5}", "date: 9999-12-31 is outside the dates kehu keeps"),
    ("- {reason: adjust, delta: 5}", "date: Field required"),
    ("- {date: 2026-11-02, reason: adjust, delta: 5, expires: soon}", "expires: Input should be a valid date"),
])
def test_an_invalid_ledger_line_is_reported_by_check_and_points(line: str, message: str,
                                                                 store: tuple[Path, str, str]) -> None:
    path, cid, other = store
    ledger = path / "customers" / shard(cid) / cid / "points.ledger.yaml"
    ledger.write_text(ledger.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    at = len(ledger.read_text(encoding="utf-8").splitlines())
    before = tree_hash(path)
    check = kehu("check", store=path)
    no_traceback(check)
    assert check.code == 1 and f"{ledger}:{at}: {message}" in check.out + check.err, check.out + check.err
    points = kehu("points", "show", cid, store=path)
    no_traceback(points)
    assert points.code == 1 and f"{ledger}:{at}: " in points.err
    assert kehu("points", "show", other, store=path).code == 0
    assert tree_hash(path) == before
