"""The twenty-fourth round's small findings (issue 16, helper smallfix): each test failed
before its fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kehu_core.hookspecs import hookimpl
from kehu_core.testing import make_store, run_kehu

from .test_hostile import tree_hash


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
