"""YAML aliases that expand without end ("billion laughs"): a few hundred bytes of anchors and
aliases meaning 10⁹ values. In kehu.yaml they passed ``kehu check`` and every command (the keys
are unknown, so nothing walked them); each loader shared the repeated node and only what walked
it blew up. Now every loader (the fast one, the scan's, the round-trip editor's) refuses more
than ``yamlaliases.MAX_ALIAS_NODES`` repeated values, or an alias of the value that holds it, at its
``path:line`` (issue 16, kind 2)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from kehu_core.ids import shard
from kehu_core.yamlaliases import MAX_ALIAS_NODES
from kehu_core.yamlio import YamlFileError, load_fast, load_roundtrip, load_scan

from .conftest import kehu
from .test_hostile import tree_hash


def laughs(key: str = "{}: ") -> str:
    """Nine lines, the n-th holding 9ⁿ values: ``key`` formats each line's start (a mapping's
    key, or a list's ``- ``)."""
    names = "abcdefghi"
    return "".join(
        key.format(name) + f"&{name} [" + ", ".join([f"*{names[n - 1]}" if n else "lol"] * 9) + "]\n"
        for n, name in enumerate(names))


LAUGHS = laughs()


def own_process(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """kehu in its own process, with a deadline and 1 GB of memory: a bomb must not use either."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), *args],
                          capture_output=True, text=True, timeout=120, preexec_fn=limit)


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "李雷", store=path).out.strip()
    assert kehu("purchase", "add", cid, "--item", "茶", "--price", "100", "--date", "2026-11-01",
                store=path).code == 0
    return path, cid


def _bomb_line() -> int:
    """The line each loader names: where the repeated values first pass the limit."""
    return next(n for n in range(1, 10) if 9 ** n - 9 > MAX_ALIAS_NODES)


def test_an_alias_bomb_in_kehu_yaml_stops_every_command_at_its_line(store: tuple[Path, str]) -> None:
    path, cid = store
    config = path / "kehu.yaml"
    lines = len(config.read_text(encoding="utf-8").splitlines())
    with config.open("a", encoding="utf-8") as out:
        out.write(LAUGHS)
    before = tree_hash(path)
    for argv in (["check"], ["customer", "list"], ["customer", "show", cid], ["points", cid],
                 ["customer", "set", cid, "notes=x"]):
        result = own_process(path, *argv)
        assert result.returncode == 1, (argv, result.stdout, result.stderr)
        assert f"{config}:{lines + _bomb_line()}: invalid YAML: aliases (*name) here repeat more than" \
            in result.stdout + result.stderr, (argv, result.stderr)
        assert "Traceback" not in result.stderr
    assert tree_hash(path) == before


@pytest.mark.parametrize("where", ["customer.yaml", "interaction", "points.ledger.yaml"])
def test_an_alias_bomb_in_a_record_or_a_ledger_is_a_problem_of_check(where: str, store: tuple[Path, str]) -> None:
    path, cid = store
    folder = path / "customers" / shard(cid) / cid
    target = {"customer.yaml": folder / "customer.yaml",
              "interaction": next((folder / "interactions").glob("*.yaml")),
              "points.ledger.yaml": folder / "points.ledger.yaml"}[where]
    text = target.read_text(encoding="utf-8")
    # a ledger is a list of entries; the records get keys kehu does not know (kept, never read)
    target.write_text(text + laughs("- " if where.endswith("ledger.yaml") else "x_{}: "), encoding="utf-8")
    line = len(text.splitlines()) + _bomb_line()
    result = own_process(path, "check")
    assert result.returncode == 1, result.stdout + result.stderr
    if where.endswith("ledger.yaml"):
        # a ledger's line is read alone too (one entry a line: store.ledgers.ledger_entry), and the
        # bomb's first line is a list, no entry: named there, before any alias is followed
        said = f"{target}:{len(text.splitlines()) + 1}: not a ledger entry"
    else:
        said = f"{target}:{line}: invalid YAML: aliases (*name) here repeat more than"
    assert said in result.stdout, result.stdout
    assert "Traceback" not in result.stderr


def test_every_loader_refuses_alike_and_keeps_ordinary_aliases(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("id: x\n" + LAUGHS, encoding="utf-8")
    loop = tmp_path / "loop.yaml"
    loop.write_text("id: x\nitems: &a [1, *a]\n", encoding="utf-8")
    for load in (load_fast, load_scan, load_roundtrip):
        with pytest.raises(YamlFileError) as bombed:
            load(bomb)
        assert bombed.value.problem.line == 1 + _bomb_line()
        with pytest.raises(YamlFileError, match="refers to the value that holds it"):
            load(loop)
    # anchors, aliases and merge keys a person writes by hand read the same through each loader
    fine = tmp_path / "fine.yaml"
    fine.write_text("x_base: &b {a: 1, b: 2}\nx_c:\n  <<: *b\n  z: 3\nx_d: [*b, *b]\nnote: R&D *now*\n",
                    encoding="utf-8")
    expected = {"x_base": {"a": 1, "b": 2}, "x_c": {"a": 1, "b": 2, "z": 3},
                "x_d": [{"a": 1, "b": 2}, {"a": 1, "b": 2}], "note": "R&D *now*"}
    for load in (load_fast, load_scan, load_roundtrip):
        assert load(fine) == expected, load
