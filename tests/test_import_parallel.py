"""A big vCard file is parsed in worker processes (kehu_core.services.importing.vcard.parse_cards):
what a user gets must be exactly what one process gives, in the file's order, with each broken
card named at its own line, in the user's language."""

from __future__ import annotations

import json
from pathlib import Path

from kehu_core.services.importing import vcard
from tests.conftest import kehu_subprocess

CARDS = vcard.PARALLEL_FROM + 100  # enough to go to the workers
BROKEN = 1500  # a card vobject cannot read
BAD_PHONE = 1800  # a card whose number is no phone number


def _card(n: int) -> str:
    if n == BROKEN:
        return "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:坏卡\r\nthis line has no colon\r\nEND:VCARD\r\n"
    phone = "12345" if n == BAD_PHONE else f"139{n:08d}"
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:客户{n}\r\nN:{n};客户;;;\r\nTEL;TYPE=CELL:{phone}\r\n"
            f"EMAIL:c{n}@example.cn\r\nCATEGORIES:导入\r\nEND:VCARD\r\n")


def _write(tmp_path: Path) -> tuple[Path, dict[int, int]]:
    """The file and the line each card starts on."""
    path, lines, line = tmp_path / "通讯录.vcf", {}, 1
    with path.open("w", encoding="utf-8", newline="") as handle:
        for n in range(CARDS):
            text = _card(n)
            lines[n] = line
            line += text.count("\n")
            handle.write(text)
    return path, lines


def test_cards_parsed_by_workers_equal_cards_parsed_one_by_one(tmp_path: Path) -> None:
    path, _ = _write(tmp_path)
    cards = [(f"{path}:{line}", chunk) for line, chunk in vcard.split_cards(path.read_text(encoding="utf-8"))]
    assert len(cards) >= vcard.PARALLEL_FROM
    assert list(vcard.parse_cards(cards)) == [vcard.parse_card(s, c) for s, c in cards]


def test_a_big_vcard_file_imports_in_order_with_problems_at_their_lines(store_path: Path, tmp_path: Path) -> None:
    path, lines = _write(tmp_path)
    done = kehu_subprocess("import", str(path), "--json", store=store_path)
    assert done.returncode == 1, done.stderr  # the good cards are imported; the two problems said
    summary = json.loads(done.stdout)
    good = [n for n in range(CARDS) if n not in (BROKEN, BAD_PHONE)]
    assert [c["name"] for c in summary["created"]] == [f"客户{n}" for n in good]
    assert [c["source"] for c in summary["created"]][:3] == [f"{path}:{lines[n]}" for n in good[:3]]
    problems = summary["problems"]
    assert len(problems) == 2
    assert problems[0].startswith(f"{path}:{lines[BROKEN]}: unreadable vCard")
    assert problems[1].startswith(f"{path}:{lines[BAD_PHONE]}:") and "12345" in problems[1]


def test_workers_speak_the_users_language(store_path: Path, tmp_path: Path) -> None:
    path, lines = _write(tmp_path)
    done = kehu_subprocess("--lang", "zh_CN", "import", str(path), "--dry-run", "--json", store=store_path)
    problems = json.loads(done.stdout)["problems"]
    assert problems[0].startswith(f"{path}:{lines[BROKEN]}: 无法读取的 vCard"), problems
