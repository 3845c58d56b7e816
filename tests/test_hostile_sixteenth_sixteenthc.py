"""The sixteenth outside round (sixteenthc, 2026-12-06), kinds 7, 8 and 9: exports that attack
the reader, inputs that exhaust, plugins. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from . import test_hostile_limits
from .conftest import kehu, kehu_subprocess

no_traceback = test_hostile_limits.no_traceback


def _customers(store: Path) -> list[dict]:
    return kehu("customer", "list", "--json", store=store).json()


Run = Callable[..., subprocess.CompletedProcess[str]]


def _kehu_beside(tmp_path: Path, module_text: str, entry: str) -> tuple[Path, Run]:
    """A store, and a way to run this checkout's kehu on it in a process of its own (from a
    folder given as ``cwd=``), with a plugin of ``module_text`` installed as a third party's."""
    import kehu_core

    from .pluginutil import installed_plugin

    site = installed_plugin(tmp_path / "site", f"{entry}_kehu", entry, module_text)
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    here = Path(kehu_core.__file__).resolve().parents[1]  # this checkout's kehu, run from another folder
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), str(site), os.environ.get("PYTHONPATH", "")]),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), *argv],
                              capture_output=True, text=True, env=env, cwd=cwd)

    return store, run


def _with_cells(source: Path, out: Path, cells: dict[str, str]) -> None:
    """``source`` with each named cell of its first sheet written as the XML given."""
    with zipfile.ZipFile(source) as book, zipfile.ZipFile(out, "w") as written:
        for info in book.infolist():
            data = book.read(info.filename)
            if info.filename.endswith("sheet1.xml"):
                for ref, xml in cells.items():
                    data = re.sub(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', xml.encode(), data, count=1)
            written.writestr(info, data)


def test_an_xlsx_number_cell_holding_text_is_refused_at_its_row_and_column(tmp_path: Path) -> None:
    """A number cell whose value is text no number reads as (`<c t="n"><v>abc</v></c>`, or
    `<v>NaN</v>`: a web system's export) sends the workbook to openpyxl (calamine refuses it
    whole), which raised on it as the rows were read: "FILE:1: invalid literal for int() with
    base 10: 'abc'" — line 1, no column, every row of the sheet unread. Now such a cell is NaN
    to both readers, and its row is refused naming the column as a script's NaN is; the rest
    imported."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "credit_limit"])
    for name, limit in (("甲", 1), ("乙", 2), ("丙", 100), ("丁", 3)):
        sheet.append([name, limit])
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    path = tmp_path / "客户.xlsx"
    _with_cells(plain, path, {"B2": '<c r="B2" t="n"><v>abc</v></c>', "B3": '<c r="B3"><v>NaN</v></c>',
                              "B5": '<c r="B5"><v>inf</v></c>'})
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    done = kehu("import", str(path), store=store)
    assert done.code == 1, done.out + done.err
    no_traceback(done)
    for line in (2, 3, 5):
        assert f"{path}:{line}: sheet 'Sheet' cell B{line} (credit_limit):" in done.err, done.err
    assert "invalid literal" not in done.err, done.err
    assert [c["name"] for c in _customers(store)] == ["丙"]


def test_a_plugin_changing_the_working_folder_leaves_the_commands_own(tmp_path: Path) -> None:
    """An installed plugin that changes the working folder (``os.chdir`` to its own folder as its
    module is imported, to read a data file beside it; again in a hook): `kehu export --format
    csv out.csv`, run in the user's folder, wrote the customers into the plugin's folder and said
    "wrote 1 rows to out.csv", exit 0; `kehu import sheet.csv` found no such file. The working
    folder is the command's: kehu takes it back after each piece of a plugin's code."""
    store, run = _kehu_beside(tmp_path, (
        "import os\n"
        "HERE = os.path.dirname(os.path.abspath(__file__))\n"
        "os.chdir(HERE)\n"
        "from kehu_core import hookimpl\n"
        "@hookimpl\n"
        "def customer_values(store, customer):\n"
        "    os.chdir(HERE)\n"
        "    return {}\n"), "wanders")
    assert kehu("customer", "add", "--name", "赵敏", store=store).code == 0
    work = tmp_path / "work"
    work.mkdir()
    (work / "sheet.csv").write_text("姓名\n钱多多\n", encoding="utf-8")
    done = run("import", "sheet.csv", cwd=work)
    assert done.returncode == 0, done.stderr
    done = run("export", "--format", "csv", "out.csv", cwd=work)
    assert done.returncode == 0, done.stderr
    assert "赵敏" in (work / "out.csv").read_text(encoding="utf-8-sig")
    assert not (tmp_path / "site" / "wanders_kehu" / "out.csv").exists()
    assert sorted(c["name"] for c in _customers(store)) == ["赵敏", "钱多多"]


def test_a_notes_line_breaks_and_direction_controls_never_forge_or_turn_around_output(tmp_path: Path) -> None:
    """A complaint's text of two lines, its second a complaint line of kehu's own making
    (`钱多多 (c1…)  2026-11-04-aaaaaaaa  resolved  handler 王芳`), then `kehu complaint list`, `kehu
    visits plan` (whose reason quotes it, and whose visit line quotes the last visit's note); a
    note and a call's text holding U+202E (a right-to-left override, pasted or planted), then
    `customer show`. Each printed the second line at the margin, a complaint or a visit of its
    own, and the override as it was, turning around what followed it on the line (the amount
    after a text in the history). Now a quoted text is one line (`models.on_one_line`), a text
    of many lines is indented whole, and every direction control is shown as U+FFFD
    (`render.terminal_safe`), as a control character is."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "张三", "--owner", "王芳", "--note", "付款 \u202eexe.txt 完",
               store=store).out.strip()
    forged = "钱多多 (c1xxxxxxxxxxxxxx)  2026-11-04-aaaaaaaa  resolved  handler 王芳"
    for kind, text in (("complaint", f"退款\n{forged}"), ("call", "聊了 \u202e6222-1234"),
                       ("visit", "拜访\n2. 假客户  [c1yyyyyyyyyyyyyy]")):
        done = kehu("interaction", "add", cid, "--kind", kind, "--text", text, "--date", "2026-11-19", store=store)
        assert done.code == 0, done.err
    shown = kehu("customer", "show", cid, store=store)
    assert shown.code == 0, shown.err
    assert "\u202e" not in shown.out and "\ufffdexe.txt" in shown.out and "\ufffd6222-1234" in shown.out, shown.out
    listed = kehu("complaint", "list", store=store)
    assert listed.code == 0, listed.err
    assert f"    {forged}" in listed.out and f"\n{forged}" not in listed.out, listed.out
    plan = kehu("visits", "plan", "--owner", "王芳", store=store)
    assert plan.code == 0, plan.err
    lines = plan.out.splitlines()
    assert not any(line.startswith(("钱多多", "2. 假客户")) for line in lines), plan.out
    assert any("退款 钱多多" in line for line in lines), plan.out


def test_a_texts_second_line_is_no_contact_of_its_own_in_the_churn_report(tmp_path: Path) -> None:
    """`kehu report churn` lists a churned customer's last contacts and complaints a line each in
    a cell: a call's text of two lines (`打过` + `2024-03-01 visit: 已续约`) showed a visit that
    never was, a complaint's its override as it was. Each text is one line there
    (`models.on_one_line`), as in `kehu visits plan` and a reminder."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "李四", store=store).out.strip()
    assert kehu("purchase", "add", cid, "--amount", "500", "--date", "2024-01-05", store=store).code == 0
    for kind, text in (("call", "打过\n2024-03-01 visit: 已续约"), ("complaint", "太贵\n\u202e已解决")):
        done = kehu("interaction", "add", cid, "--kind", kind, "--text", text, "--date", "2024-01-06", store=store)
        assert done.code == 0, done.err
    import os

    # a process of its own, as wide as no cell folds its lines (Rich in this one may be held at 80)
    report = kehu_subprocess("report", "churn", store=store, env={**os.environ, "COLUMNS": "300"})
    assert report.returncode == 0, report.stderr
    assert "\u202e" not in report.stdout, report.stdout
    assert all("打过" in line for line in report.stdout.splitlines() if "已续约" in line), report.stdout
    assert all("太贵" in line for line in report.stdout.splitlines() if "已解决" in line), report.stdout


def test_what_a_program_a_plugin_runs_writes_never_mixes_with_json(tmp_path: Path) -> None:
    """An installed plugin whose `customer_values` runs a program (`subprocess.run(["echo",
    …])`: a sync tool, curl) or writes to file descriptor 1 itself: the program's output went
    into the command's stdout, so `customer list --json` and `customer show --json` were text
    then JSON, exit 0 (a print() of the plugin's goes to stderr since the first rounds; the
    file beneath it did not). Now, while a third party's code runs, the stdout file is stderr's
    too; `kehu export … /dev/stdout` still writes the export there."""
    store, run = _kehu_beside(tmp_path, (
        "import os, subprocess, sys\n"
        "from kehu_core import hookimpl\n"
        "@hookimpl\n"
        "def customer_values(store, customer):\n"
        "    subprocess.run([sys.executable, '-c', 'print(\"synced by a child\")'])\n"
        "    os.write(1, b'written to fd 1\\n')\n"
        "    return {'wechat_synced': 'yes'}\n"), "runs")
    cid = kehu("customer", "add", "--name", "赵敏", store=store).out.strip()
    listed = run("customer", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [c["name"] for c in json.loads(listed.stdout)] == ["赵敏"], listed.stdout
    assert "synced by a child" in listed.stderr and "written to fd 1" in listed.stderr, listed.stderr
    shown = run("customer", "show", cid, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["wechat_synced"] == "yes", shown.stdout
    exported = run("export", "--format", "csv", "/dev/stdout")
    assert exported.returncode == 0, exported.stderr
    assert "赵敏" in exported.stdout, exported


def test_a_name_holding_an_invisible_character_is_told_apart_in_every_list(tmp_path: Path) -> None:
    """A second 张三 whose name holds a zero-width space (or a word joiner, a byte order mark, a
    direction mark: pasted from a chat app, or put in to pass for the first) showed exactly as
    the first in `customer list`, `kehu search` and `customer show`: two people a rep could not
    tell apart, one of them perhaps planted (the last round's open one). Each such character is
    shown as U+FFFD on the terminal, as a control character is (`render.terminal_safe`); the
    joiners of an emoji stay; `--json` keeps the name as it is."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    names = ["张三", "张\u200b三", "张\u2060三", "\ufeff张三", "张三\u200e", "👨\u200d👩\u200d👧"]
    ids = {kehu("customer", "add", "--name", name, store=store).out.strip(): name for name in names}
    listed = kehu("customer", "list", store=store)
    assert listed.code == 0, listed.err
    shown_names = sorted(line.split("\t")[1] for line in listed.out.splitlines())
    assert shown_names == sorted(["张三", "张\ufffd三", "张\ufffd三", "\ufffd张三", "张三\ufffd",
                                  "👨\u200d👩\u200d👧"]), shown_names
    found = kehu("search", "张三", store=store)
    assert found.code == 0, found.err
    assert "张\ufffd三" in found.out and "\u200b" not in found.out, found.out
    for cid, name in ids.items():
        shown = kehu("customer", "show", cid, store=store).out
        assert not any(c in shown for c in "\u200b\u2060\ufeff\u200e"), shown
        assert kehu("customer", "show", cid, "--json", store=store).json()["name"] == name


def _strict_json(text: str) -> object:
    """``text`` read as JSON readers other than Python's read it: no NaN, no Infinity."""
    def refuse(constant: str) -> object:
        raise ValueError(f"{constant} is no JSON")

    return json.loads(text, parse_constant=refuse)


def test_a_record_holding_nan_or_an_infinity_is_refused_at_every_door(tmp_path: Path) -> None:
    """An installed plugin's float field (`customer_fields`: `score: float | None`) given `nan`
    or `inf` by `customer set` (a float reads both), and a profile's own field written `.inf`
    or `.nan` by hand: stored with exit 0 and `kehu check` ok; `customer show --json` then
    wrote `"score": NaN`, which no JSON reader but Python's reads (jq, a browser, a phone's
    app), while `list --json` and the exports said nothing of the hand-written one (the index
    keeps NaN as no value). A record holds finite numbers: `check` names such a value at its
    line (`models.hostile.too_deep`), and a plugin's float type refusing it is its field's
    problem (`plugins.field_types.guarded_fields`)."""
    store, run = _kehu_beside(tmp_path, (
        "from kehu_core import hookimpl\n"
        "@hookimpl\n"
        "def customer_fields():\n"
        "    return {'score': (float | None, None)}\n"), "scores")
    cid = kehu("customer", "add", "--name", "赵敏", store=store).out.strip()
    for typed in ("nan", "inf", "-Infinity"):
        done = run("customer", "set", cid, f"score={typed}")
        assert done.returncode == 1, (typed, done.stdout, done.stderr)
        assert "NaN or an infinity" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert run("customer", "set", cid, "score=2.5").returncode == 0
    shown = run("customer", "show", cid, "--json")
    assert _strict_json(shown.stdout)["score"] == 2.5, shown.stdout
    other = kehu("customer", "add", "--name", "钱多多", store=store).out.strip()
    path = next(store.glob(f"customers/*/{other}/customer.yaml"))
    written = path.read_text(encoding="utf-8")
    for added, said in (("weight: .inf\n", "weight"), ("ratios: [1.5, .nan]\n", "ratios.1")):
        path.write_text(written + added, encoding="utf-8")
        checked = kehu("check", store=store)
        assert checked.code == 1, checked.out + checked.err
        line = len(written.splitlines()) + 1
        assert f"{path}:{line}: {said}: NaN or an infinity" in checked.out, checked.out + checked.err
    listed = run("customer", "list", "--json")
    _strict_json(listed.stdout)
