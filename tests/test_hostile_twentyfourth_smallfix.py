"""The twenty-fourth round's small findings (issue 16, helper smallfix): each test failed
before its fix."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from kehu_core.hookspecs import hookimpl
from kehu_core.store import open_store
from kehu_core.testing import make_store, run_kehu

from .conftest import kehu
from .pluginutil import add_customer
from .test_hostile import tree_hash
from .test_hostile_seventeenth_seventeenthb import edit_without_a_terminal
from .test_hostile_twentyfourth_linkwrite import Reader


class _HugeReader:
    """A plugin's importer giving a contact whose field holds a whole number of 5 000 digits."""

    name = "huge-ints"

    def __init__(self, where: str) -> None:
        self.where = where

    def detect(self, path: Path, head: bytes) -> bool:
        return path.suffix == ".huge"

    def read(self, path: Path, store: Any) -> Any:
        from kehu_core.plugins import ImportedContact

        yield ImportedContact(fields={"name": "甲"}, source=f"{path}:1")
        huge = 10 ** 5000
        if self.where == "fields":
            yield ImportedContact(fields={"name": "乙", "phone": huge}, source=f"{path}:2")
        elif self.where == "extra":
            yield ImportedContact(fields={"name": "乙"}, extra={"会员号": huge}, source=f"{path}:2")
        elif self.where == "nested extra":
            yield ImportedContact(fields={"name": "乙"}, extra={"会员号": [huge]}, source=f"{path}:2")
        else:  # its fields no dict, and what it is not even Python can write out
            yield ImportedContact(fields=[huge], source=f"{path}:2")


class _Huge:
    def __init__(self, where: str) -> None:
        self.where = where

    @hookimpl
    def importers(self) -> list[Any]:
        return [_HugeReader(self.where)]


@pytest.mark.parametrize("where", ["fields", "extra", "nested extra", "fields a list"])
def test_a_plugins_contact_holding_a_number_of_5000_digits_names_the_importer_and_the_field(
        tmp_path: Path, where: str) -> None:
    """A plugin's importer giving a contact whose phone is a whole number of 5 000 digits: the
    row was refused, but the message was Python's ("Exceeds the limit (4300 digits) for integer
    string conversion"), naming neither the importer nor the field; one in its extra was the
    row's problem, the importer not named; its fields a list of one such number said Python's
    words too (the message quoting it failed). Now the importer and the field are named, and
    nothing of the file is written."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}], plugins={"huge": _Huge(where)})
    sheet = tmp_path / "contacts.huge"
    sheet.write_text("x\n", encoding="utf-8")
    before = tree_hash(store.root)
    result = run_kehu(store, "import", sheet)
    assert result.code == 1 and "internal error" not in result.err, result.err
    assert "Exceeds the limit" not in result.err and "4300" not in result.err, result.err
    assert "the 'huge-ints' importer (a plugin's) failed" in result.err, result.err
    if where == "fields a list":
        assert "gave a contact whose fields is a list, not a dict by name" in result.err, result.err
    else:
        field = "fields.phone" if where == "fields" else "extra.会员号"
        assert f"gave a contact with {field}" in result.err and "18 digits" in result.err, result.err
    assert tree_hash(store.root) == before
    listed = run_kehu(store, "customer", "list", "--json")
    assert [c["name"] for c in json.loads(listed.out)] == ["赵敏"]


@pytest.mark.parametrize("inside", ["customers", "."])
def test_edit_with_tmpdir_inside_the_store_makes_its_copy_outside_the_records(
        store_path: Path, tmp_path: Path, inside: str) -> None:
    """`TMPDIR` set to a folder of the store (a shell profile's `export TMPDIR=$PWD/tmp` run in
    the store, a script's): `kehu edit` made its copy of the record there, `customers/kehu-edit-
    XXXX/c-…/customer.yaml` among the records, which `git status` (and so a `kehu sync` meanwhile)
    saw as a new file of the store. The copy is never made among the records: it goes to the
    store's own `.kehu/`, which git never shares."""
    cid = add_customer(store_path, "赵敏")
    seen, status = tmp_path / "seen", tmp_path / "status"
    editor = tmp_path / "editor.sh"
    editor.write_text(
        "#!/bin/sh\n"
        f"echo \"$1\" > '{seen}'\n"
        f"git -C '{store_path}' status --porcelain --untracked-files=all > '{status}'\n"
        "sed -i 's/^name: .*/name: 赵敏敏/' \"$1\"\n", encoding="utf-8")
    editor.chmod(0o755)
    code, err = edit_without_a_terminal(store_path, cid, EDITOR=str(editor),
                                        TMPDIR=str((store_path / inside).resolve()))
    assert code == 0, err
    copy = Path(seen.read_text(encoding="utf-8").strip())
    assert "kehu-edit" not in status.read_text(encoding="utf-8"), status.read_text(encoding="utf-8")
    assert copy.is_relative_to(store_path / ".kehu") or not copy.is_relative_to(store_path), copy
    assert open_store(store_path).get(cid).name == "赵敏敏"
    assert not list(store_path.rglob("kehu-edit-*")), list(store_path.rglob("kehu-edit-*"))
    left = subprocess.run(["git", "-C", str(store_path), "status", "--porcelain", "--untracked-files=all"],
                          capture_output=True, text=True, check=True).stdout
    assert "kehu-edit" not in left, left


def test_an_export_to_a_unix_socket_says_it_is_a_socket(store_path: Path, tmp_path: Path) -> None:
    """`kehu export --format csv SOCKET` (a path that is a UNIX socket, a daemon's, or a link
    to one): the message was the OS's alone, "No such device or address", which names neither
    the path's kind nor what to do. It is refused as a folder is, before anything is written,
    saying the path is a socket, exit 1; the socket is left as it was."""
    add_customer(store_path, "赵敏")
    target = tmp_path / "s"
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listening.bind(str(target))
        link = tmp_path / "to-socket.csv"
        link.symlink_to(target)
        for out in (target, link):
            result = kehu("export", "--format", "csv", str(out), store=store_path)
            assert result.code == 1 and "Traceback" not in result.err, result.err
            assert "No such device" not in result.err and f"{out}: is a socket" in result.err, result.err
            assert target.is_socket()
    finally:
        listening.close()


@pytest.mark.parametrize("mode", [0o000, 0o311], ids=["no access", "no listing"])
def test_a_store_folder_the_user_cannot_read_is_a_message_naming_it(mode: int) -> None:
    """`--store` naming a folder this user may not read (`chmod 700` by a colleague, a `sudo`
    tool's `chown`): click's own check said "Usage: … Error: Invalid value for '--store': Path
    '…' is not readable.", exit 2, as if the command were mistyped. It is a message naming the
    folder, exit 1, and nothing is written."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a folder unreadable")
    top = Path(tempfile.mkdtemp(prefix="kehu-unreadable-"))
    os.chmod(top, 0o755)
    try:
        reader = Reader(top)
        os.chmod(reader.store, mode)
        for argv in (["customer", "list"], ["check"], ["customer", "set", reader.cid, "notes=x"]):
            ran = reader.kehu(*argv)
            assert ran.returncode == 1 and "Usage" not in ran.stderr and "Traceback" not in ran.stderr, ran.stderr
            assert f"{reader.store}: the store's folder cannot be read" in ran.stderr, ran.stderr
        os.chmod(reader.store, 0o755)
        assert "notes" not in reader.kehu("customer", "show", reader.cid).stdout
    finally:
        for path in [top, *top.rglob("*")]:
            with contextlib.suppress(OSError):
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
        shutil.rmtree(top, ignore_errors=True)
