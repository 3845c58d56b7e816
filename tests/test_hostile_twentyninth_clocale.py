"""The twenty-ninth round's clocale findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import os
from pathlib import Path

from .clocale import c_locale, fine, names
from .conftest import kehu


def _customer(store: Path, *args: str) -> str:
    added = kehu("customer", "add", *args, store=store)
    assert added.code == 0, added.err
    return added.out.strip()


def test_chinese_names_inside_the_store_are_read_under_a_c_locale(tmp_path: Path) -> None:
    """Under `LC_ALL=C` with Python's UTF-8 mode off, Python lists each byte past ASCII of a
    name alone: a rep's folder of plans (visits/王芳/), a template (templates/生日祝福.j2), a
    customer's folder of attachments (附件/) or a note beside the profile (备注.txt) were "not
    UTF-8 text" to `kehu check` (so `kehu sync` stopped), `kehu visits plan --owner 王芳` and
    `kehu send --template 生日祝福` ended in "internal error". They read as under any locale;
    a new rep's plan is written under its name in UTF-8, and a name in GBK is still refused."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    zhang = _customer(store, "--name", "张三", "--owner", "王芳", "--email", "z@example.com")
    li = _customer(store, "--name", "李四", "--owner", "王芳")
    assert kehu("visits", "plan", "--owner", "王芳", "--add", zhang, store=store).code == 0
    (store / "templates").mkdir()
    (store / "templates" / "生日祝福.j2").write_text("您好 {{ customer.name }}\n", encoding="utf-8")
    folder = next((store / "customers").glob(f"*/{zhang}"))
    (folder / "附件").mkdir()
    (folder / "附件" / "合同.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / "备注.txt").write_text("老客户\n", encoding="utf-8")

    checked = c_locale(store, "check")
    assert b"no problems" in checked.stderr and fine(checked) == b"", checked.stderr
    assert names("张三", fine(c_locale(store, "visits", "plan", "--owner", "王芳")))
    fine(c_locale(store, "visits", "plan", "--owner", "李娜", "--add", li))
    assert "李娜".encode() in os.listdir(os.fsencode(store / "visits"))
    assert names("您好 张三", fine(c_locale(store, "send", "--segment", "all", "--template", "生日祝福",
                                           "--dry-run")))
    reps = fine(c_locale(store, "report", "reps", "--json"))
    assert names("李娜", reps) and names("王芳", reps), reps
    assert kehu("check", store=store).code == 0  # and the index is as a UTF-8 locale reads it

    # what held: a name in bytes that are not UTF-8 is refused, under either locale
    os.mkdir(os.fsencode(folder) + b"/" + "附件".encode("gbk"))
    done = c_locale(store, "check")
    assert done.returncode == 1 and b"the name is not UTF-8 text" in done.stdout, done.stdout
    assert "the name is not UTF-8 text" in kehu("check", store=store).out
