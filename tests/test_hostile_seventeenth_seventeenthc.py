"""The seventeenth outside round (seventeenthc, 2026-12-06), kinds 7 to 9: sheets whose headings
are no names, a bad cell named by its place, plugins that change the process's environment or
umask, names that look alike in two scripts. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from . import test_hostile_limits
from .conftest import TODAY, kehu
from .test_hostile_sixteenth_sixteenthc import _kehu_beside

no_traceback = test_hostile_limits.no_traceback


def test_a_plugins_environment_and_umask_do_not_outlast_its_hook(tmp_path: Path) -> None:
    """An installed plugin whose hook sets ``os.umask(0)`` and ``os.environ`` (KEHU_TODAY, TZ,
    GIT_DIR) as it checks a customer: kehu then made the customer's folder world-writable, dated
    what it wrote by the plugin's day and ran git on the plugin's repository. Only the working
    folder was taken back after a hook; the environment and the umask are now too."""
    store, run = _kehu_beside(tmp_path, (
        "import os\n"
        "from kehu_core import hookimpl\n"
        "@hookimpl\n"
        "def validate_customer(store, customer):\n"
        "    wander()\n"
        "    return []\n"
        "@hookimpl\n"
        "def customer_values(store, customer):\n"
        "    mask = os.umask(0o077)\n"
        "    import sys; print('seen', os.environ.get('KEHU_TODAY'), os.environ.get('TZ'), 'GIT_DIR' in os.environ,\n"
        "                      oct(mask), file=sys.stderr)\n"
        "    wander()\n"
        "    return {}\n"
        "def wander():\n"
        "    os.umask(0)\n"
        "    os.environ['KEHU_TODAY'] = '2031-01-02'\n"
        "    os.environ['TZ'] = 'Pacific/Kiritimati'\n"
        f"    os.environ['GIT_DIR'] = {str(tmp_path / 'elsewhere')!r}\n"
        "    os.environ.pop('HOME', None)\n"), "setsenv")
    done = run("customer", "add", "--name", "赵敏")
    assert done.returncode == 0, done.stderr
    cid = done.stdout.strip()
    done = run("interaction", "add", cid, "--kind", "call", "--text", "问好")
    assert done.returncode == 0, done.stderr
    shown = run("customer", "show", cid)
    assert shown.returncode == 0, shown.stderr
    assert "2031" not in shown.stdout and TODAY.isoformat() in shown.stdout, shown.stdout
    for path in (store / "customers").rglob("*"):
        assert not path.stat().st_mode & stat.S_IWOTH, (path, oct(path.stat().st_mode))
    assert not (tmp_path / "elsewhere").exists()
    assert run("customer", "add", "--name", "钱多多").returncode == 0
    listed = run("customer", "list", "--json")  # each customer's values: a hook asked twice
    assert listed.returncode == 0, listed.stderr
    seen = [line for line in listed.stderr.splitlines() if line.startswith("seen")]
    assert len(seen) >= 2 and len(set(seen)) == 1, seen
    assert "2031" not in seen[0] and "Kiritimati" not in seen[0] and "True" not in seen[0], seen


def test_names_that_look_alike_in_two_scripts_are_duplicates_and_a_mixed_name_is_warned(tmp_path: Path) -> None:
    """A second Anna whose A is Cyrillic (U+0410), a KATE written in Greek capitals (ΚΑΤΕ), a
    fullwidth Ｂob: each showed as the other in the TUI and in a spreadsheet, and `kehu
    duplicates` did not name them (their phones unrelated, the names different code points).
    Now they are grouped by the names' look (NFKC, and the Cyrillic and Greek letters that look
    Latin: ``textsearch.look_alike_key``), and `kehu check` warns of a name mixing Latin letters
    with Cyrillic or Greek ones, exit 0."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    ids, found = added_and_grouped(store, (
        ("Anna Lee", "13900000001"), ("\u0410nna Lee", "13600000002"), ("KATE", "13700000003"),
        ("\u039a\u0391\u03a4\u0395", "13800000004"), ("Bob", "13500000005"),
        ("\uff22ob", "13300000006"), ("Anna Li", "13100000007"), ("Иван", "13200000008")))
    groups = sorted(sorted(group["names"]) for group in found.json())
    assert groups == [sorted(["Anna Lee", "\u0410nna Lee"]), sorted(["Bob", "\uff22ob"]),
                      sorted(["KATE", "\u039a\u0391\u03a4\u0395"])], groups
    assert all(d["kind"] == "look_alike" for group in found.json() for d in group["details"]), found.out
    checked = kehu("check", store=store)
    assert checked.code == 0, checked.out + checked.err
    no_traceback(checked)
    warned = [line for line in checked.out.splitlines() if "warning" in line]
    assert len(warned) == 1 and ids["\u0410nna Lee"] in warned[0] and ":2: warning: name" in warned[0], checked.out
    assert "Cyrillic" in warned[0] and "\u0410" in warned[0], checked.out


def added_and_grouped(store: Path, people: tuple[tuple[str, str], ...]) -> tuple[dict[str, str], Any]:
    """Each (name, phone) of ``people`` added to ``store`` by `customer add`, and what `kehu
    duplicates --json` says of them then: their ids by name, and its result."""
    ids = {}
    for name, phone in people:
        done = kehu("customer", "add", "--name", name, "--phone", phone, store=store)
        assert done.code == 0, done.err
        ids[name] = done.out.strip()
    found = kehu("duplicates", "--json", store=store)
    assert found.code == 0, found.err
    return ids, found


def _workbook(path: Path, *rows: list, errors: dict[str, str] | None = None, title: str = "客户") -> Path:
    """``path``, an .xlsx of ``rows`` as openpyxl writes them, ``errors`` cells holding one of
    Excel's error values (a formula that failed, as Excel saves it)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for cell, value in (errors or {}).items():
        sheet[cell] = value
        sheet[cell].data_type = "e"
    book.save(path)
    return path


def test_a_heading_that_is_no_name_is_named_by_its_cell(tmp_path: Path) -> None:
    """A header row whose cells are NaN (a script's float('nan')), one of Excel's error values
    (#N/A) or empty between real headings: each became a column named "nan" or "#N/A" (or
    "column 3"), its values imported under that name. Now a value
    under such a heading refuses the file, naming the heading's cell and the value's; a column
    that is empty under it is left out with a warning naming the cell (an empty heading over an
    empty column is no news: left out quietly). A year typed as a heading (2024) is a column of
    that name, as before. CSV, the same code path: the same."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    heading = ["姓名", "电话", None, 2024, "备注", None, float("nan")]
    empty = _workbook(tmp_path / "empty.xlsx", heading, ["王芳", "13912345678", None, None, "老客", None, None],
                      errors={"F1": "#N/A"})
    done = kehu("import", str(empty), store=store)
    assert done.code == 0, done.out + done.err
    no_traceback(done)
    for cell, what in (("F1", "the error value #N/A"), ("G1", "no number")):
        assert f"{empty}:1: warning: sheet '客户' cell {cell}: a column heading must be text, and this one holds " \
               f"{what}" in done.err, done.err
    assert "cell C1" not in done.err and "cell D1" not in done.err, done.err
    (customer,) = kehu("customer", "list", "--json", store=store).json()
    shown = kehu("customer", "show", customer["id"], "--json", store=store).json()
    assert not shown.get("import_extra"), shown
    for cells, (at, value) in (({"F1": "#N/A"}, ("G", float("nan"))), ({}, ("C", "VIP")),
                               ({"F1": "#N/A"}, ("F", "x")), ({}, ("H", "x"))):
        row = ["钱多多", "13912345679", None, None, None, None, None, None]
        row["CDEFGH".index(at) + 2] = value
        path = _workbook(tmp_path / f"bad-{at}.xlsx", heading, ["赵敏", "13912345670"], row, errors=cells)
        done = kehu("import", str(path), store=store)
        assert done.code == 1, (at, done.out + done.err)
        no_traceback(done)
        assert f"{path}:3: sheet '客户' cell {at}1: " in done.err and f"but {at}3 holds a value" in done.err, done.err
        if at in "CH":
            assert "the column has no heading" in done.err, done.err
        else:
            assert "a column heading must be text" in done.err, done.err
    # a number typed as a heading (a year's column) is a heading as the sheet shows it
    year = _workbook(tmp_path / "year.xlsx", heading, ["李雷", "13912345673", None, 880, "新客", None, None],
                     errors={"F1": "#N/A"})
    done = kehu("import", str(year), store=store)
    assert done.code == 0, done.out + done.err
    (lei,) = [c for c in kehu("customer", "list", "--json", store=store).json() if c["name"] == "李雷"]
    assert kehu("customer", "show", lei["id"], "--json", store=store).json()["import_extra"] == {"2024": "880"}
    sheet = tmp_path / "bad.csv"
    sheet.write_text("姓名,电话,#N/A,nan\n孙丽,13912345671,,\n周强,13912345672,,x\n", encoding="utf-8")
    done = kehu("import", str(sheet), store=store)
    assert done.code == 1, done.out + done.err
    assert f"{sheet}:3: column D: a column heading must be text, and this one holds no number" in done.err, done.err
    assert sorted(c["name"] for c in kehu("customer", "list", "--json", store=store).json()) == ["李雷", "王芳"]


def test_a_wrong_value_of_a_sheet_is_named_by_its_cell(tmp_path: Path) -> None:
    """A number or a date cell of a sheet holding NaN, text, an error value (#DIV/0!) or a day
    that is none: the message named the column's heading (or only the field: "credit_limit:
    Input should be a valid decimal", "birthday 'x': ...") and the row's line, not the cell.
    Now every such complaint names the sheet, the cell and the heading (``sheet.cell_place``,
    the one spelling; the merge step's through ``ImportedContact.places``); a CSV's names the
    column by its letter, its line already said."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    heading = ["姓名", "电话", "credit_limit", "生日", "交易日期", "成交金额"]
    path = _workbook(tmp_path / "sales.xlsx", heading,
                     ["甲", "13900000001", "abc", None, None, None],
                     ["乙", "13900000002", None, "1990-13-45", None, None],
                     ["丙", "13900000003", float("inf"), None, None, None],
                     ["丁", "13900000004", None, None, "2026-11-01", "x"],
                     ["戊", "13900000005", None, None, "2026-11-01", None],
                     ["己", "13900000006", None, None, "2026-02-30", 5],
                     ["庚", "13900000007", 100, None, "2026-11-01", 5],
                     errors={"F6": "#DIV/0!"}, title="销售")
    done = kehu("import", str(path), store=store)
    assert done.code == 1, done.out + done.err
    no_traceback(done)
    for line, cell, heading_of in ((2, "C2", "credit_limit"), (3, "D3", "生日"), (4, "C4", "credit_limit"),
                                   (5, "F5", "成交金额"), (6, "F6", "成交金额"), (7, "E7", "交易日期")):
        assert f"{path}:{line}: sheet '销售' cell {cell} ({heading_of}): " in done.err, (cell, done.err)
    assert "#DIV/0!" in done.err, done.err
    assert [c["name"] for c in kehu("customer", "list", "--json", store=store).json()] == ["庚"]
    sheet = tmp_path / "sales.csv"
    sheet.write_text("姓名,电话,credit_limit,生日\n辛,13900000008,NaN,\n壬,13900000009,,x\n", encoding="utf-8")
    done = kehu("import", str(sheet), store=store)
    assert done.code == 1, done.out + done.err
    assert f"{sheet}:2: column C (credit_limit): " in done.err and f"{sheet}:3: column D (生日): " in done.err, done.err
    google = tmp_path / "contacts.csv"
    google.write_text("Name,Given Name,Birthday,Phone 1 - Value\n癸,癸,1990-13-45,13900000010\n", encoding="utf-8")
    done = kehu("import", str(google), store=store)
    assert done.code == 1 and f"{google}:2: column C (Birthday): birthday '1990-13-45'" in done.err, done.err
