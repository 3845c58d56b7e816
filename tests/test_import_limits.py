"""What one file given to `kehu import` may cost (issue 16, kind 8): a vCard with a 20 MB photo
took 3.2 GB of memory, a 1 MB xlsx zip bomb 3.8 GB (and minutes). Each case runs the real
`kehu import` in its own process and measures that process's peak memory (its own rusage from
wait4, so no other test's child counts); the limits are kehu.yaml settings, validated."""

from __future__ import annotations

import base64
import io
import random
import struct
import zipfile
from pathlib import Path

import pytest

from .conftest import kehu
from .peakmem import kehu_peak_mb
from .test_hostile import tree_hash

# kehu import of a one-card file peaks at ~50 MB on the project's machines; before the limits a
# 20 MB photo took 3 200 MB and a 1 MB zip bomb 3 800 MB.
MEMORY_BOUND_MB = 200
DEADLINE = 120.0  # seconds; before the limits the zip bomb took over three minutes
NAME = "赵敏"
MB_BYTES = 1 << 20


def measured_kehu(store: Path, *args: str) -> tuple[int, str, str, float]:
    """``kehu --store STORE ARGS`` in its own process: exit code, stdout, stderr and the
    process's peak resident memory in MB; killed after :data:`DEADLINE` (a runaway import)."""
    return kehu_peak_mb(store, *args, timeout=DEADLINE)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    return path


def _names(store: Path) -> list[str]:
    result = kehu("customer", "list", "--json", store=store)
    assert result.code == 0, result.err
    import json

    return [c["name"] for c in json.loads(result.out)]


def _photo(size: int) -> str:
    return base64.b64encode(random.Random(16).randbytes(size)).decode()


def _vcard_30_folded_photo(size: int) -> bytes:
    photo = _photo(size)
    folded = "\r\n ".join(photo[i:i + 74] for i in range(0, len(photo), 74))
    return "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", f"FN:{NAME}", "TEL:13912345678",
                        "PHOTO;ENCODING=b;TYPE=JPEG:" + folded, "END:VCARD", ""]).encode()


def _vcard_21_one_line_photo(size: int) -> bytes:
    # Android's 2.1 export: the base64 on one line, a blank line after it
    return "\r\n".join(["BEGIN:VCARD", "VERSION:2.1", f"N:{NAME};;;", "TEL;CELL:13912345678",
                        "PHOTO;ENCODING=BASE64;JPEG:" + _photo(size), "", "END:VCARD", ""]).encode()


@pytest.mark.parametrize("make", [_vcard_30_folded_photo, _vcard_21_one_line_photo])
def test_a_vcard_with_a_20_mb_photo_imports_in_bounded_memory(store: Path, tmp_path: Path,
                                                             make) -> None:
    source = tmp_path / "photo.vcf"
    source.write_bytes(make(15 << 20) + _second_card())  # 15 MB of picture: 20 MB as base64
    assert source.stat().st_size > 20 << 20

    code, out, err, peak = measured_kehu(store, "import", str(source))

    assert code == 0, err
    assert sorted(_names(store)) == sorted([NAME, "李雷"])  # the card after the photo too
    assert "PHOTO" in out  # the summary says the picture was not imported
    assert peak < MEMORY_BOUND_MB, f"kehu import took {peak} MB"


def _second_card() -> bytes:
    return b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\xe6\x9d\x8e\xe9\x9b\xb7\r\nTEL:13800138000\r\nEND:VCARD\r\n"


def test_a_text_property_over_the_limit_refuses_its_card_and_names_the_line(store: Path,
                                                                          tmp_path: Path) -> None:
    source = tmp_path / "note.vcf"
    note = "很" * (1 << 20)  # 3 MB of UTF-8
    source.write_bytes("\r\n".join(["BEGIN:VCARD", "VERSION:3.0", f"FN:{NAME}", "TEL:13912345678",
                                    "NOTE:" + note, "END:VCARD", ""]).encode() + _second_card())

    code, _, err, peak = measured_kehu(store, "import", str(source))

    assert code == 1
    assert f"{source}:5: NOTE is 3.1 MB; a vCard property may be at most 2 MB" in err, err
    assert "import_limits: vcard_property_mb" in err and "Traceback" not in err
    assert _names(store) == ["李雷"]
    assert peak < MEMORY_BOUND_MB

    # raised in kehu.yaml: the card gets as far as the store, whose records are at most 2 MiB
    _configure(store, "vcard_property_mb: 4")
    code, _, err, _ = measured_kehu(store, "import", str(source))
    assert code == 1 and f"{source}:1:" in err and "records are at most" in err, err


def _bomb(path: Path, unpacked_mb: int) -> None:
    """A real workbook whose sheet is made to unpack to ``unpacked_mb`` MB of identical rows."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["姓名", "联系电话"])
    book.active.append([NAME, "13912345678"])
    buf = io.BytesIO()
    book.save(buf)
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c><c t="n"><v>1</v></c></row>'
    block = row * ((1 << 20) // len(row))
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                                                      compresslevel=9) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info.filename, data)
                continue
            head, _, rest = data.partition(b"<sheetData>")
            rows, _, tail = rest.partition(b"</sheetData>")
            with out.open(info.filename, "w") as member:
                member.write(head + b"<sheetData>" + rows)
                for _ in range(unpacked_mb):
                    member.write(block)
                member.write(b"</sheetData>" + tail)


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(store: Path, tmp_path: Path) -> None:
    source = tmp_path / "客户.xlsx"
    _bomb(source, 300)
    assert source.stat().st_size < 1200 << 10  # about 1 MB
    before = tree_hash(store)

    code, _, err, peak = measured_kehu(store, "import", str(source))

    assert code == 1
    assert f"{source}:1: xl/worksheets/sheet1.xml unpacks to 300.0 MB" in err, err
    assert "zip bomb" in err and "import_limits: xlsx_ratio" in err and "Traceback" not in err
    assert tree_hash(store) == before
    assert peak < MEMORY_BOUND_MB, f"kehu import took {peak} MB"


def _lie_about_sizes(path: Path, member: str, claimed: int) -> None:
    """Make the zip's local header and central directory say ``member`` unpacks to ``claimed``
    bytes (what a bomb made to pass a check of the directory does)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as book:
        info = book.getinfo(member)
    struct.pack_into("<I", data, info.header_offset + 22, claimed)
    name = member.encode()
    at = 0
    while True:  # the member's central directory entry
        at = data.index(b"PK\x01\x02", at)
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_len] == name:
            struct.pack_into("<I", data, at + 24, claimed)
            break
        at += 4
    path.write_bytes(bytes(data))


def test_a_bomb_whose_zip_directory_lies_about_its_size_is_refused(store: Path,
                                                                  tmp_path: Path) -> None:
    source = tmp_path / "客户.xlsx"
    _bomb(source, 300)
    with zipfile.ZipFile(source) as book:
        packed = book.getinfo("xl/worksheets/sheet1.xml").compress_size
    _lie_about_sizes(source, "xl/worksheets/sheet1.xml", packed * 3)  # an ordinary ratio
    before = tree_hash(store)

    code, _, err, peak = measured_kehu(store, "import", str(source))

    assert code == 1
    assert f"{source}:1:" in err and "zip bomb" in err and "Traceback" not in err, err
    assert tree_hash(store) == before
    assert peak < MEMORY_BOUND_MB, f"kehu import took {peak} MB"


def _configure(store: Path, *lines: str) -> int:
    """Add ``import_limits:`` with ``lines`` to kehu.yaml; the line number of the first."""
    config = store / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "import_limits:\n" + "".join(f"  {line}\n" for line in lines),
                      encoding="utf-8")
    return len(text.splitlines()) + 2


def test_the_limits_are_kehu_yaml_settings(store: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "客户.csv"
    rows = [f"客户{i},139{i:08d},备注{'很' * 200}" for i in range(4000)]
    sheet.write_text("姓名,联系电话,备注\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert sheet.stat().st_size > 2 << 20

    _configure(store, "file_mb: 2")
    before = tree_hash(store)
    result = kehu("import", str(sheet), store=store)
    assert result.code == 1
    assert f"{sheet}:1: the file is 2.5 MB; kehu imports files of at most 2 MB " \
           "(import_limits: file_mb in kehu.yaml)" in result.err, result.err
    assert tree_hash(store) == before

    # an ordinary workbook (packed about 2:1) passes the checks, and is refused once it
    # unpacks to more than xlsx_unpacked_mb
    import openpyxl

    book = tmp_path / "客户.xlsx"
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["姓名", "联系电话", "备注"])
    chance = random.Random(8)
    for i in range(3000):
        sheet.append([f"客户{i}", f"139{i:08d}", "".join(chance.choices("茶叶礼盒龙井普洱红白绿", k=300))])
    workbook.save(book)
    config = store / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("file_mb: 2", "file_mb: 100"),
                      encoding="utf-8")
    result = kehu("import", "--dry-run", str(book), store=store)
    assert result.code == 0 and "3000 created" in result.out, result.err[:2000]
    config.write_text(config.read_text(encoding="utf-8").replace("file_mb: 100", "xlsx_unpacked_mb: 2"),
                      encoding="utf-8")
    before = tree_hash(store)
    result = kehu("import", str(book), store=store)
    assert result.code == 1
    assert f"{book}:1: the workbook unpacks to more than 2 MB (import_limits: xlsx_unpacked_mb" \
        in result.err, result.err
    assert tree_hash(store) == before


@pytest.mark.parametrize(("setting", "expected"), [
    ("file_mb: 0", "import_limits.file_mb"),
    ("xlsx_ratio: lots", "import_limits.xlsx_ratio"),
    ("photo_mb: 5", "photo_mb"),
])
def test_bad_limits_name_kehu_yaml_and_line(store: Path, setting: str, expected: str) -> None:
    line = _configure(store, setting)
    result = kehu("import", str(store / "kehu.yaml"), store=store)
    assert result.code == 1
    assert f"kehu.yaml:{line}:" in result.err and expected in result.err, result.err
    assert "Traceback" not in result.err


def _sheet(path: Path, body: bytes, end: bytes = b"\n") -> Path:
    path.write_bytes(b"name,phone,notes" + end + body + end)
    return path


@pytest.mark.parametrize("case", ["one cell", "many short cells", "google csv"])
def test_a_csv_line_over_the_limit_is_refused_while_streaming(store: Path, tmp_path: Path, case: str) -> None:
    """A 95 MB CSV of one line peaked at 900 MB before the csv reader refused its cell (the file
    read, decoded and copied whole first), and one line of 50 million short cells took 23 GB
    and nine minutes. Now a line longer than ``MAX_LINE`` (2 MB: a row is one record, at most
    2 MiB) is refused at its number while the file is read in pieces, before anything else."""
    from kehu_core.services.importing.limits import MAX_LINE, MB

    line = "赵敏,13912345678,".encode()
    if case == "one cell":  # 15 × the limit: 30 MB, which took ~300 MB before
        sheet = _sheet(tmp_path / "one.csv", line + b"x" * (15 * MAX_LINE))
    elif case == "many short cells":  # ~1 million cells, each far under the csv module's 128 KB
        sheet = _sheet(tmp_path / "cells.csv", line + b"x," * (MAX_LINE // 2 + 1))
    else:
        sheet = tmp_path / "google.csv"
        sheet.write_bytes(b"Given Name,Family Name,Phone 1 - Value,Notes\r\n"
                          b"Min,Zhao,13912345678,hi\r\n" + b"Lei,Li,13800138000," + b"y" * (3 * MAX_LINE) + b"\r\n")
    before = tree_hash(store)
    code, out, err, peak_mb = measured_kehu(store, "import", str(sheet))
    assert code == 1, (out, err)
    assert peak_mb < 120, f"peaked at {peak_mb} MB"  # ~50 MB: the line is never read whole
    where = 3 if case == "google csv" else 2
    assert f"{sheet}:{where}: line {where} is longer than {MAX_LINE // MB} MB; kehu reads CSV lines of at most" \
        in err, err[-2000:]
    assert "Traceback" not in err
    assert tree_hash(store) == before



def test_a_csv_of_millions_of_blank_lines_is_read_as_it_is_decoded(store: Path, tmp_path: Path) -> None:
    """A 30 MB CSV of a header, a customer and blank lines (under the file size limit) peaked at
    ~230 MB (455 MB at 60 MB): its text was held whole and copied into a StringIO, four bytes a
    character. UTF-8 is now decoded as the csv module reads it; a line too long after the blank
    ones is still named by its number."""
    from kehu_core.services.importing.limits import MAX_LINE, MB

    blank = b"\r\n" * 5_000_000 + b"\n" * 20_000_000
    sheet = _sheet(tmp_path / "blank.csv", "赵敏,13912345678\n".encode() + blank + "李雷,13800138000".encode())
    code, out, err, peak_mb = measured_kehu(store, "import", str(sheet))
    assert code == 0, (out, err)
    assert peak_mb < 120, f"peaked at {peak_mb} MB"
    assert sorted(_names(store)) == ["李雷", "赵敏"]

    long_after = _sheet(tmp_path / "long.csv", blank + b"x" * (MAX_LINE + 1))
    before = tree_hash(store)
    code, out, err, peak_mb = measured_kehu(store, "import", str(long_after))
    where = 2 + 25_000_000
    assert code == 1, (out, err)
    assert f"{long_after}:{where}: line {where} is longer than {MAX_LINE // MB} MB" in err, err[-2000:]
    assert tree_hash(store) == before


def test_csv_lines_under_the_limit_import_whatever_their_line_ends(store: Path, tmp_path: Path) -> None:
    """The limit is a line's, not the file's: a sheet of over 2 MB whose lines end in a CR alone
    (classic Mac), or CRLF, is read line by line and imports."""
    for end, name in ((b"\r", "mac.csv"), (b"\r\n", "dos.csv")):
        rows = end.join(f"客户{name[0]}{i},,{'n' * 100_000}".encode() for i in range(25))
        sheet = _sheet(tmp_path / name, rows, end)
        assert sheet.stat().st_size > 2 * 1024 * 1024
        result = kehu("import", str(sheet), store=store)
        assert result.code == 0, result.err[-2000:]
    assert len(_names(store)) == 50


@pytest.mark.parametrize("kind", ["csv", "xlsx", "google csv"])
def test_a_row_of_too_many_cells_is_refused_at_its_line(store: Path, tmp_path: Path, kind: str) -> None:
    """A 1.9 MB CSV line of a million one-letter cells (under ``MAX_LINE``) cost 320 MB and 4.7 s
    in a dry-run import, each cell kept as a column of its own and named in the summary. A row
    of more than ``MAX_CELLS`` cells is now refused at its line while the sheet is read, in CSV,
    xlsx and Google's CSV alike; a row padded with empty cells (a stray cell far right) is not."""
    from kehu_core.services.importing.limits import MAX_CELLS

    cells = MAX_CELLS + 1
    if kind == "csv":
        # the case found: a 1.9 MB line (under MAX_LINE) of a million one-letter cells
        sheet = _sheet(tmp_path / "wide.csv", "赵敏,13912345678,hi\n李雷,13800138000,".encode() + b"x," * 1_000_000)
        where, cells = 3, 2 + 1_000_000
    elif kind == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        book.active.append(["name", "phone", "notes"])
        book.active.append(["赵敏", "13912345678", "hi"])
        book.active.append(["李雷", "13800138000", *["x"] * (cells - 2)])
        sheet = tmp_path / "wide.xlsx"
        book.save(sheet)
        where = 3
    else:
        sheet = tmp_path / "google.csv"
        sheet.write_bytes(b"Given Name,Family Name,Phone 1 - Value,Notes" + b",x" * (cells - 4) + b"\r\n"
                          b"Min,Zhao,13912345678,hi\r\n")
        where = 1
    before = tree_hash(store)
    code, out, err, peak_mb = measured_kehu(store, "import", "--dry-run", str(sheet))
    assert code == 1, (out, err[-2000:])
    assert f"{sheet}:{where}: row {where} has {cells} cells; kehu imports rows of at most {MAX_CELLS} cells" \
        in err, err[-2000:]
    assert "column 1000" not in out + err  # the row's cells are never named one by one
    assert peak_mb < 120, f"peaked at {peak_mb} MB"
    assert "Traceback" not in err
    assert tree_hash(store) == before


def test_a_sheet_padded_with_empty_cells_imports(store: Path, tmp_path: Path) -> None:
    """Only a row's cells up to its last non-empty one count: a sheet whose every row runs to a
    stray column far right (as Excel saves one as CSV) imports as it did."""
    pad = b"," * 3000
    sheet = _sheet(tmp_path / "padded.csv", b"\xe8\xb5\xb5\xe6\x95\x8f,13912345678,hi" + pad)
    result = kehu("import", str(sheet), store=store)
    assert result.code == 0, result.err[-2000:]
    assert _names(store) == ["赵敏"]


def test_an_import_of_more_rows_than_the_limit_stops_reading_and_writes_nothing(store: Path,
                                                                               tmp_path: Path) -> None:
    """Every row is held until an import is written (about 4 KB each): a 26 MB CSV of 1.2
    million short rows, under `file_mb`, went on for many minutes and gigabytes (300 000 rows:
    45 s and 990 MB in a dry run). Now the import stops at the row past `import_limits: rows`
    (200 000), names its line and writes nothing; the limit counts a call's files together."""
    sheet = tmp_path / "many.csv"
    with sheet.open("w", encoding="utf-8") as out:
        out.write("姓名,手机\n")
        out.writelines(f"客{i},139{i:08d}\n" for i in range(1_200_000))
    before = tree_hash(store)
    code, _out, err, peak = measured_kehu(store, "import", str(sheet))
    assert code == 1, err
    assert f"{sheet}:200002: more than 200 000 rows in one import (import_limits: rows in kehu.yaml)" in err
    assert "Traceback" not in err and peak < 2 * MEMORY_BOUND_MB, f"kehu import took {peak} MB"
    assert tree_hash(store) == before

    _configure(store, "rows: 3")
    small = tmp_path / "two.csv"
    small.write_text("姓名,手机\n甲,13900000001\n乙,13900000002\n", encoding="utf-8")
    both = kehu("import", str(small), str(small.with_name("two.csv")), store=store)  # 2 + 2 rows
    assert both.code == 1 and f"{small}:3: more than 3 rows in one import" in both.err, both.err
    assert _names(store) == []
    assert kehu("import", str(small), store=store).code == 0
    assert sorted(_names(store)) == ["乙", "甲"]


@pytest.mark.parametrize("far", ["XFD1048576", "ALL1048576"])
def test_a_sheet_with_a_cell_far_from_the_others_is_read_in_bounded_memory(store: Path, tmp_path: Path,
                                                                           far: str) -> None:
    """calamine lays a sheet out as one rectangle from A1 to its last cell: a 6 KB workbook with
    a cell at XFD1048576 asked for 512 GB and kehu was aborted by Rust ("memory allocation of
    549755813888 bytes failed", a backtrace, signal 6, nothing said). Such a sheet is read row
    by row: a row past 1 000 cells is refused at its line as any other; within 1 000 columns
    (ALL) the far row imports, its million empty rows before it costing nothing."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["name", "phone", "wechat"])
    book.active.append(["赵敏", "13912345678"])
    book.active[far] = "lilei"
    if far.startswith("ALL"):  # a value under no heading refuses the sheet (its column would be "column 1000")
        book.active["ALL1"] = "微信2"
    book.active[f"A{far.lstrip('ALXFD')}"] = "李雷"
    sheet = tmp_path / "far.xlsx"
    book.save(sheet)
    assert sheet.stat().st_size < 10_000

    code, out, err, peak_mb = measured_kehu(store, "import", str(sheet))

    assert "Traceback" not in err and "memory allocation" not in err and code >= 0, err[-2000:]
    assert peak_mb < MEMORY_BOUND_MB, f"peaked at {peak_mb} MB"
    if far.startswith("XFD"):
        assert code == 1, (out, err[-2000:])
        assert f"{sheet}:1048576: row 1048576 has 16384 cells; kehu imports rows of at most 1000" in err
        assert _names(store) == ["赵敏"]  # the good row, as with any row refused
    else:
        assert code == 0, (out, err[-2000:])
        assert sorted(_names(store)) == ["李雷", "赵敏"]


def test_blank_lines_after_a_card_are_no_part_of_it(store: Path, tmp_path: Path) -> None:
    """What follows a card's END is no card's text: 1.1 million blank lines (2.2 MB) after a
    card made it "hold over 2 MB of text" and refused it, a whole file of them (60 MB) ran
    on for minutes; the lines were also held as a list of strings. Both cards now import, the
    file read line by line in bounded memory."""
    source = tmp_path / "blank.vcf"
    source.write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\xe8\xb5\xb5\xe6\x95\x8f\r\nTEL:13912345678\r\nEND:VCARD\r\n"
                       + b"\r\n" * 1_100_000 + _second_card())
    code, out, err, peak_mb = measured_kehu(store, "import", str(source))
    assert code == 0, (out, err[-2000:])
    assert sorted(_names(store)) == sorted([NAME, "李雷"])
    assert peak_mb < MEMORY_BOUND_MB, f"peaked at {peak_mb} MB"


def test_a_vcard_property_with_megabytes_of_parameters_is_refused_at_its_line(store: Path, tmp_path: Path) -> None:
    """A 1.4 MB card whose TEL carries 200 000 ``;TYPE=x`` parameters (under the 2 MB a
    property may hold) took vobject 550 MB, and 290 000 of them 780 MB: parameters are no
    value, and real ones take a few dozen bytes. Such a property refuses its card at its line;
    the other cards of the file import."""
    source = tmp_path / "params.vcf"
    source.write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nTEL" + b";TYPE=x" * 200_000 + b":13800000009\r\n"
                       b"END:VCARD\r\n" + _second_card())
    code, out, err, peak_mb = measured_kehu(store, "import", str(source))
    assert code == 1, (out, err[-2000:])
    assert f"{source}:4: TEL has 1367 KB of parameters; a vCard property's name and parameters may be at most 16 KB" \
        in err, err[-2000:]
    assert _names(store) == ["李雷"]
    assert peak_mb < MEMORY_BOUND_MB, f"peaked at {peak_mb} MB"


def _bytes_read() -> int:
    """What this process has read so far (``rchar``: every read, the page cache's too)."""
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(fields["rchar"])


def test_a_csv_is_read_once_as_it_is_parsed(store: Path, tmp_path: Path) -> None:
    """A CSV was read three times whole: once for its lines' lengths, once to know it is UTF-8,
    once to parse it. Now once, the lines measured and decoded as the csv module reads them,
    with the same refusals at the same lines (the tests above)."""
    rows = "".join(f"客户{i},139{i:08d},{'茶' * 1300}\n" for i in range(5000))
    sheet = _sheet(tmp_path / "big.csv", rows.encode())
    size = sheet.stat().st_size
    assert size > 18 * MB_BYTES
    before = _bytes_read()
    result = kehu("import", str(sheet), "--dry-run", store=store)
    read = _bytes_read() - before
    assert result.code == 0, result.err[-2000:]
    assert "5000 created" in result.out
    assert read < 1.3 * size, f"read {read / size:.1f} times the file's size"


@pytest.mark.parametrize("case", ["no encoding", "a cell over 128 KB", "google csv"])
def test_a_line_too_long_further_on_refuses_the_file_first(store: Path, tmp_path: Path, case: str) -> None:
    """Read in one pass, a CSV is still refused as when every line's length was checked first:
    a line too long after the one where reading stops (a line in no encoding, a cell the csv
    module refuses) is the file's problem, and none of its rows is imported."""
    from kehu_core.services.importing.limits import MAX_LINE, MB

    good = "赵敏,13912345678,hi\n".encode()
    stop = {"no encoding": b"\x80\x80\xff,13700000000,x\n", "a cell over 128 KB": b"x,1," + b"y" * 200_000 + b"\n",
            "google csv": b"Lei,Li,13800138000," + b"y" * 200_000 + b"\r\n"}[case]
    if case == "google csv":
        sheet = tmp_path / "google.csv"
        sheet.write_bytes(b"Given Name,Family Name,Phone 1 - Value,Notes\r\nMin,Zhao,13912345678,hi\r\n" + stop
                          + b"ok,ok,13700000001,ok\r\n" + b"x" * (MAX_LINE + 1) + b"\r\n")
    else:
        sheet = _sheet(tmp_path / "s.csv", good + stop + good + b"x" * (MAX_LINE + 1))
    before = tree_hash(store)
    result = kehu("import", str(sheet), store=store)
    assert result.code == 1
    assert f"{sheet}:5: line 5 is longer than {MAX_LINE // MB} MB" in result.err, result.err[-2000:]
    assert result.err.count(f"{sheet}:") == 1, result.err  # the file's one problem
    assert tree_hash(store) == before
