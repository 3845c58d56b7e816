"""Twenty-fourth round, helper bulk: imports at the same time and killed, exports that attack
the reader, resource exhaustion (issue 16, kinds 6, 7 and 8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import kehu


def _killed_at(module: str, owner: str, method: str) -> str:
    """A script running the kehu command of its arguments in a process killed (SIGKILL: nothing
    of Python runs after it) the moment ``owner.method`` is first called."""
    return f"""
import os, signal, sys
from {module} import {owner}
def dying(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
{owner}.{method} = dying
from kehu_core.cli import main
sys.argv = ["kehu", *sys.argv[1:]]
main()
"""


# the moment the plugins are first told of a saved record: every record of the command is
# written, no point
KILLED_BEFORE_THE_PLUGINS_HEAR = _killed_at("kehu_core.plugins.host", "PluginHost", "interaction_saved")


def _killed(path: Path, *argv: str) -> None:
    killed = subprocess.run([sys.executable, "-c", KILLED_BEFORE_THE_PLUGINS_HEAR, "--store", str(path), *argv],
                            capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr


def _points(path: Path) -> dict[str, int]:
    listed = kehu("customer", "list", "--json", store=path)
    assert listed.code == 0, listed.err
    return {c["name"]: c["points"] for c in listed.json()}


def test_an_import_killed_before_the_plugins_heard_gives_the_points_when_run_again(tmp_path: Path) -> None:
    """An import writes its records, then tells the plugins (points, tier moves) of every sale
    at once. Killed in between, the next command said "run it again", and the import run again
    found every sale already there and added nothing: 2 793 of 3 000 customers kept 0 points for
    their ¥200, for good, and `check` said ok. The plugins now hear of what a killed command
    saved when its change is recovered, as part of that change."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    sheet = tmp_path / "sales.csv"
    rows = ["姓名,联系电话,交易日期,购买商品,成交金额"]
    for i in range(6):
        rows += [f"客户{i},1391234{i:04d},2026-11-01,茶,100", f"客户{i},1391234{i:04d},2026-11-05,茶,100"]
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _killed(path, "import", str(sheet))
    again = kehu("import", str(sheet), store=path)
    assert again.code == 0, again.err
    assert "was stopped before it finished" in again.err, again.err
    assert "12 already there" in again.out, again.out  # nothing doubled
    assert _points(path) == {f"客户{i}": 200 for i in range(6)}
    assert kehu("check", store=path).code == 0
    undone = kehu("undo", store=path)  # the points are part of the change the import made
    assert undone.code == 0, undone.err
    assert kehu("customer", "list", "--json", store=path).json() == []
    assert not list(path.glob("customers/*/*/ledgers/*"))


def test_a_sale_killed_before_the_plugins_heard_earns_its_points_at_the_next_command(tmp_path: Path) -> None:
    """`kehu purchase add` killed between writing the sale and the points plugin's line: the
    sale stayed without its points whatever was run next."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    cid = kehu("customer", "add", "--name", "王芳", "--phone", "13800138000", store=path).out.strip()
    _killed(path, "purchase", "add", cid, "--date", "2026-11-01", "--item", "茶", "--amount", "300")
    noted = kehu("interaction", "add", cid, "--kind", "note", "--date", "2026-11-02", "--text", "x", store=path)
    assert noted.code == 0, noted.err
    assert "was stopped before it finished" in noted.err, noted.err
    assert _points(path) == {"王芳": 300}


_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml."


def _workbook_holding(path: Path, part: str, entries: bytes, numberless: bool = True) -> Path:
    """A workbook of one customer (its texts shared, as Excel writes them) whose ``part`` holds
    ``entries`` more, and (``numberless``) a number cell holding no number (a web system's
    export), which calamine refuses and openpyxl reads."""
    import zipfile

    texts = b"".join(b"<si><t>%s</t></si>" % t.encode() for t in ("姓名", "联系电话", "赵敏", "13912345678"))
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}sharedStrings+xml"/></Types>').encode(),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}officeDocument" Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (
            b"<workbook " + _NS + b' xmlns:r="' + _REL[:-1].encode() + b'"><sheets>'
            b'<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}sharedStrings" Target="sharedStrings.xml"/>'
            '</Relationships>').encode(),
        "xl/worksheets/sheet1.xml": (
            b"<worksheet " + _NS + b"><sheetData>"
            b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            b'<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
            b'<row r="3"><c r="C3" t="n"><v>abc</v></c></row></sheetData></worksheet>'),
        "xl/styles.xml": (
            b"<styleSheet " + _NS + b'><fonts count="1"><font><sz val="11"/></font></fonts>'
            b'<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            b'<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
            b'<cellXfs><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs></styleSheet>'),
        "xl/sharedStrings.xml": b"<sst " + _NS + b">" + texts + b"</sst>",
    }
    end = {"xl/styles.xml": b"</cellXfs>", "xl/sharedStrings.xml": b"</sst>"}[part]
    parts[part] = parts[part].replace(end, entries + end)
    if not numberless:
        parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
            b'<row r="3"><c r="C3" t="n"><v>abc</v></c></row>', b"")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return path


@pytest.mark.parametrize("part", ["xl/styles.xml", "xl/sharedStrings.xml"])
def test_a_workbook_part_its_readers_hold_whole_is_refused_past_what_a_workbook_uses(tmp_path: Path,
                                                                                   part: str) -> None:
    """calamine and openpyxl build a workbook's styles and shared texts whole before its first
    row, at many times their bytes; the limits bounded what the parts unpack to, not how many
    entries they hold: a million short cell formats (62 MB from 1.6 MB) took openpyxl 1.8 GB and
    50 s, five million shared texts no cell used 1.1 GB and 97 s. More style entries than Excel
    makes, or more shared texts than the sheets' cells use, refuse the workbook first."""
    import random

    from .test_hostile import tree_hash
    from .test_import_limits import MEMORY_BOUND_MB, measured_kehu

    store = tmp_path / "store"
    assert kehu("init", str(store), "--no-git").code == 0
    rnd = random.Random(1)
    if part == "xl/styles.xml":
        entries = b"".join(b'<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" xfId="0"/>' % rnd.randint(0, 50)
                           for _ in range(200_000))
        said = "holds 200 00"  # and the few of the workbook's own
    else:
        entries = b"".join(b"<si><t>%s</t></si>" % bytes(rnd.choices(b"abcdefghijklmnopqrstuvwxyz", k=3))
                           for _ in range(1_000_000))
        said = "holds 1 000 00"
    source = _workbook_holding(tmp_path / "客户.xlsx", part, entries)
    before = tree_hash(store)
    code, _, err, peak = measured_kehu(store, "import", str(source))
    assert code == 1 and "Traceback" not in err, err
    assert f"{source}:1: {part} {said}" in err, err
    assert tree_hash(store) == before
    assert peak < MEMORY_BOUND_MB, f"kehu import took {peak} MB"


def test_a_workbook_of_its_texts_shared_imports(tmp_path: Path) -> None:
    """The workbook above without the entries added: imported (the counting refuses no sheet)."""
    store = tmp_path / "store"
    assert kehu("init", str(store), "--no-git").code == 0
    source = _workbook_holding(tmp_path / "客户.xlsx", "xl/styles.xml", b"", numberless=False)
    done = kehu("import", str(source), store=store)
    assert "1 created" in done.out, (done.out, done.err)


def test_a_ledger_of_more_lines_than_a_ledger_holds_is_refused_before_each_is_read(tmp_path: Path) -> None:
    """A ledger is bounded by its bytes (8 MiB, about 90 000 entries as kehu writes them), but a
    line of `- {}` is 5 bytes: a colleague's script's million of them took `kehu check` 54 s (a
    problem a line), `kehu points` 51 s and `customer show` 2 minutes and 1.8 GB. A ledger of
    more lines than 8 MiB of real entries make is refused at the first line past the limit,
    before any is read."""
    from .test_import_limits import MEMORY_BOUND_MB, measured_kehu

    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    cid = kehu("customer", "add", "--name", "王芳", "--phone", "13800138000", store=path).out.strip()
    assert kehu("purchase", "add", cid, "--date", "2026-11-01", "--item", "茶", "--amount", "100", "--paid",
                store=path).code == 0
    [ledger] = path.glob(f"customers/*/{cid}/points.ledger.yaml")
    with ledger.open("a", encoding="utf-8") as out:
        out.write("- {}\n" * 200_000)
    said = f"{ledger}:150001: a ledger holds at most 150 000 lines"
    checked = kehu("check", store=path)
    assert checked.code == 1 and said in checked.out + checked.err, checked.out[:500]
    assert len((checked.out + checked.err).splitlines()) < 10  # one problem, not one a line
    code, out, err, peak = measured_kehu(path, "customer", "show", cid)
    assert code == 0 and said in err and "茶" in out, err
    assert peak < MEMORY_BOUND_MB, f"customer show took {peak} MB"


def test_report_tables_show_an_item_or_a_rep_holding_an_invisible_character_apart(tmp_path: Path) -> None:
    """Every listing shows a zero-width space as U+FFFD (a second 张三 is never the first alike),
    but three report tables printed what they were given: `report products` showed 茶 and 茶 +
    U+200B as two rows of 茶, `report reps` two columns headed 王芳, and `report credit` a
    "Collection plan: 王芳" for each of them."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    for phone, owner, item in (("13800138001", "王芳", "茶"), ("13800138002", "王\u200b芳", "茶\u200b")):
        cid = kehu("customer", "add", "--name", "张三", "--phone", phone, "--owner", owner, "--allow-duplicate",
                   store=path).out.strip()
        assert kehu("purchase", "add", cid, "--date", "2026-01-05", "--item", item, "--amount", "7",
                    store=path).code == 0
    products = kehu("report", "products", "--period", "365d", store=path)
    assert products.code == 0 and "茶\ufffd" in products.out and "\u200b" not in products.out, products.out
    reps = kehu("report", "reps", "--month", store=path)
    assert reps.code == 0 and "王\ufffd芳" in reps.out and "\u200b" not in reps.out, reps.out
    credit = kehu("report", "credit", store=path)
    assert credit.code == 0 and "Collection plan: 王\ufffd芳" in credit.out and "\u200b" not in credit.out, credit.out


# `kehu import` killed as it is about to put the first new customers its workers staged in
# place: the staging folder in .kehu/ holds a file for each of them
KILLED_WITH_STAGED_FILES = _killed_at("kehu_core.store", "Store", "add_rendered_customers")


def test_an_import_killed_leaves_no_staged_files_after_the_next_import(tmp_path: Path) -> None:
    """A big vCard's new customers are made by worker processes into a staging folder in
    `.kehu/`, which the import removes when it ends. Killed (the OOM killer, `kill -9`), it left
    the folder for good: a file for each contact (100 000 for a big phone export), which no
    later command removed. The next import removes the folders of imports no longer running,
    never one of an import that runs."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    cards = tmp_path / "通讯录.vcf"
    cards.write_text("".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:联系人{i}\r\nTEL:+86 139{i:08d}\r\nEND:VCARD\r\n"
                             for i in range(2500)), encoding="utf-8")
    killed = subprocess.run([sys.executable, "-c", KILLED_WITH_STAGED_FILES, "--store", str(path), "import",
                             str(cards)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    [left] = path.glob(".kehu/import-*")
    assert len(list(left.iterdir())) > 1000  # the staged customers
    running = path / ".kehu" / "import-running"  # another import's, still running: kept
    running.mkdir()
    import fcntl

    with open(running / ".held", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        again = kehu("import", str(cards), store=path)
        assert again.code == 0 and "2500 created" in again.out, again.err
        assert [p.name for p in path.glob(".kehu/import-*")] == ["import-running"]
    assert kehu("check", store=path).code == 0


def test_a_change_beside_a_purchases_long_list_of_payments_leaves_it_unread_by_the_round_trip(tmp_path: Path) -> None:
    """A purchase whose file holds 40 000 payments (1.9 MB, within a record's 2 MiB: a
    colleague's script paying by the cent), then `kehu purchase void`: ruamel's round trip of the
    payments the void leaves alone took 38 s of CPU and 714 MB. They are set aside and written
    back as the file has them, as a profile's edit does (`load_roundtrip_to_edit`)."""
    from .test_import_limits import measured_kehu

    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    cid = kehu("customer", "add", "--name", "王芳", "--phone", "13800138000", store=path).out.strip()
    sale = kehu("purchase", "add", cid, "--date", "2026-01-01", "--item", "茶", "--amount", "100000", store=path)
    pid = sale.out.strip().splitlines()[-1]
    [record] = path.glob(f"customers/*/{cid}/interactions/{pid}.yaml")
    with record.open("a", encoding="utf-8") as out:
        out.write("payments:\n" + "".join(f"- {{id: p{i:07d}, date: 2026-01-02, amount: 0.01}}\n"
                                          for i in range(40_000)))
    before = record.read_text(encoding="utf-8")
    code, _, err, peak = measured_kehu(path, "purchase", "void", cid, pid, "--reason", "退货")
    assert code == 0, err
    after = record.read_text(encoding="utf-8")
    assert after.startswith(before) and after[len(before):].startswith("voided:"), after[len(before) - 50:]
    assert peak < 450, f"purchase void took {peak} MB"
