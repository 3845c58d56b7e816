"""Twenty-fourth round, helper paybig: a payment on a purchase holding a very long list of
payments appends its line, the list it leaves alone unread by the round trip (issue 16, kind 8)."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import kehu
from .test_import_limits import measured_kehu


def _purchase(path: Path, payments: str) -> tuple[str, str, Path]:
    assert kehu("init", str(path)).code == 0
    cid = kehu("customer", "add", "--name", "王芳", "--phone", "13800138000", store=path).out.strip()
    sale = kehu("purchase", "add", cid, "--date", "2026-01-01", "--item", "茶", "--amount", "100000", store=path)
    pid = sale.out.strip().splitlines()[-1]
    [record] = path.glob(f"customers/*/{cid}/interactions/{pid}.yaml")
    with record.open("a", encoding="utf-8", newline="") as out:
        out.write(payments)
    return cid, pid, record


def test_a_payment_on_a_purchases_long_list_of_payments_appends_its_line_only(tmp_path: Path) -> None:
    """A purchase whose file holds 40 000 payments (1.9 MB, within a record's 2 MiB: a
    colleague's script paying by the cent), then `kehu purchase pay`: ruamel's round trip of the
    whole list it appends to took 37.6 s of CPU and 715 MB. The payment's line is added at the
    list's end, the file's other bytes as they were; `kehu undo` takes it back."""
    path = tmp_path / "store"
    cid, pid, record = _purchase(path, "payments:\n" + "".join(
        f"- {{id: p{i:07d}, date: 2026-01-02, amount: 0.01}}\n" for i in range(40_000)))
    before = record.read_bytes()
    code, out, err, peak = measured_kehu(path, "purchase", "pay", cid, pid, "--amount", "0.02", "--date", "2026-01-03")
    assert code == 0, err
    after = record.read_bytes()
    assert after.startswith(before), after[:200]
    added = after[len(before):]
    assert re.fullmatch(rb"- \{id: [0-9a-z]+, date: 2026-01-03, amount: 0\.02\}\n", added), added
    assert peak < 450, f"purchase pay took {peak} MB"
    assert kehu("undo", store=path).code == 0
    assert record.read_bytes() == before


def test_a_payment_appended_as_text_keeps_the_lists_indentation_and_line_ends(tmp_path: Path) -> None:
    """The appended line is written as the list's own items are: indented under their key, and
    with the file's CRLF line ends (a Windows editor's); the next field after the list stays
    after it, and the purchase reads its new payment (what is owed follows)."""
    path = tmp_path / "store"
    cid, pid, record = _purchase(path, "payments:\r\n" + "".join(
        f"  - {{id: p{i:07d}, date: 2026-01-02, amount: 0.01}}  # 第{i}笔\r\n" for i in range(300))
        + "note: 分期\r\n")
    text = record.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    record.write_bytes(text)
    paid = kehu("purchase", "pay", cid, pid, "--amount", "1", "--date", "2026-01-03", store=path)
    assert paid.code == 0, paid.err
    after = record.read_bytes()
    head, tail = text.split(b"note: ")
    assert after.startswith(head) and after.endswith(b"note: " + tail), after[-300:]
    assert re.fullmatch(rb"  - \{id: [0-9a-z]+, date: 2026-01-03, amount: 1\.00\}\r\n", after[len(head):-len(tail) - 6])
    assert kehu("check", store=path).code == 0
    shown = kehu("customer", "show", cid, store=path)
    assert "4.00 of 100000.00 paid" in shown.out, shown.out
