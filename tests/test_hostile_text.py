"""Text kehu used to read one way and write another (issue 16, kind 2): the scan (``kehu check``,
lists), ``customer show`` and the round-trip editor (``customer set``) agree on what a valid
file is; an edit keeps the file's line ends and byte order mark (a one-line diff); importers
decode a sheet pasted from UTF-8 and GBK line by line, or refuse naming the line; a field
nested hundreds of levels deep is one message, and 16 000 tags index in linear time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kehu_core.ids import shard
from kehu_core.textsearch import search_text

from .conftest import kehu
from .test_hostile import tree_hash


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    path = tmp_path_factory.mktemp("text") / "base"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "李雷", store=path).out.strip()
    other = kehu("customer", "add", "--name", "韩梅梅", store=path).out.strip()
    shutil.rmtree(path / ".kehu", ignore_errors=True)
    return path, cid, other


@pytest.fixture
def store(base: tuple[Path, str, str], tmp_path: Path) -> tuple[Path, str, str, Path]:
    path = tmp_path / "store"
    shutil.copytree(base[0], path)
    cid = base[1]
    return path, cid, base[2], path / "customers" / shard(cid) / cid / "customer.yaml"


def no_traceback(*results: object) -> None:
    for result in results:
        text = result.out + result.err  # type: ignore[attr-defined]
        assert "Traceback" not in text and "internal error" not in text, text[-2000:]


@pytest.mark.parametrize("body", ["name:\t李雷\n", "name: 李雷\nlevel: 金\t卡\n", "name: 李雷\nnotes:\t备注\n"])
def test_a_tab_is_refused_alike_by_check_show_and_set(body: str, store: tuple[Path, str, str, Path]) -> None:
    path, cid, other, record = store
    record.write_text(f"id: {cid}\n{body}", encoding="utf-8")
    before = tree_hash(path)
    check, shown, edited = (kehu("check", store=path), kehu("customer", "show", cid, store=path),
                            kehu("customer", "set", cid, "level=银卡", store=path))
    no_traceback(check, shown, edited)
    line = body.splitlines().index(next(ln for ln in body.splitlines() if "\t" in ln)) + 2
    for result in (check, shown, edited):
        assert result.code == 1
        assert f"{record}:{line}: a tab character where YAML needs spaces" in result.out + result.err
    assert kehu("customer", "show", other, store=path).code == 0
    assert tree_hash(path) == before


@pytest.mark.parametrize("directive", ["%YAML 1.1", "%YAML   1.1 # old", "%YAML 1.3"])
def test_a_yaml_version_other_than_1_2_is_refused_alike_by_check_show_and_set(
        directive: str, store: tuple[Path, str, str, Path]) -> None:
    """``%YAML 1.1`` made ruamel, the editor's loader, read ``name: no`` as false while the scan
    read text: ``check`` and ``customer show`` said ok and ``customer set`` refused the file
    ("name: Input should be a valid string"). Every loader now refuses it at its line."""
    path, cid, other, record = store
    record.write_text(f"{directive}\n---\nid: {cid}\nname: no\nlevel: on\n", encoding="utf-8")
    before = tree_hash(path)
    check, shown, edited = (kehu("check", store=path), kehu("customer", "show", cid, store=path),
                            kehu("customer", "set", cid, "level=银卡", store=path))
    no_traceback(check, shown, edited)
    for result in (check, shown, edited):
        assert result.code == 1
        assert f"{record}:1: a %YAML {directive.split()[1]} directive: kehu reads records as YAML 1.2" \
            in result.out + result.err, result.out + result.err
    assert kehu("customer", "show", other, store=path).code == 0
    assert tree_hash(path) == before


@pytest.mark.parametrize("body", ["name: !!str 123\ntags: [!!str 1, VIP]\n", "%YAML 1.2\n---\nname: 李雷\n"],
                         ids=["str-tag", "yaml-1.2-header"])
def test_what_the_scan_reads_the_editor_reads_and_keeps(body: str, store: tuple[Path, str, str, Path]) -> None:
    """A hand-written ``!!str`` tag (the scan reads text; ruamel kept a TaggedScalar, so ``customer
    set`` refused what ``check`` passed) and a ``%YAML 1.2`` header (an edit dropped it and the
    ``---`` after it: three lines changed for one)."""
    path, cid, _, record = store
    head, _sep, rest = body.rpartition("---\n")
    text = f"{head}{_sep}id: {cid}\n{rest}level: 金卡\n"
    record.write_text(text, encoding="utf-8")
    assert kehu("check", store=path).code == 0
    shown = kehu("customer", "show", cid, "--json", store=path).json()
    edited = kehu("customer", "set", cid, "level=银卡", store=path)
    assert edited.code == 0, edited.err
    after = kehu("customer", "show", cid, "--json", store=path).json()
    assert {k: v for k, v in after.items() if k != "level"} == {k: v for k, v in shown.items() if k != "level"}
    old, new = text.splitlines(), record.read_text(encoding="utf-8").splitlines()
    assert len(old) == len(new) and new[-1] == "level: 银卡"
    assert [a for a, b in zip(old, new, strict=True) if a != b and "!!str" not in a] == ["level: 金卡"]
    assert kehu("check", store=path).code == 0


@pytest.mark.parametrize(("prefix", "newline"), [(b"", b"\r\n"), (b"\xef\xbb\xbf", b"\n"), (b"\xef\xbb\xbf", b"\r\n")],
                         ids=["crlf", "bom", "bom+crlf"])
def test_an_edit_keeps_line_ends_and_byte_order_mark(prefix: bytes, newline: bytes,
                                                     store: tuple[Path, str, str, Path]) -> None:
    path, cid, _, record = store
    lines = [f"id: {cid}", "name: 李雷", "level: 金卡", "notes: 老客户", "tags:", "- VIP"]
    record.write_bytes(prefix + newline.join(s.encode() for s in lines) + newline)
    check = kehu("check", store=path)
    assert check.code == 0, check.out + check.err
    shown = kehu("customer", "show", cid, "--json", store=path)
    assert shown.code == 0 and shown.json()["name"] == "李雷" and shown.json()["tags"] == ["VIP"]
    edited = kehu("customer", "set", cid, "level=银卡", store=path)
    assert edited.code == 0, edited.err
    after = record.read_bytes()
    assert after.startswith(prefix + b"id:")
    new_lines = after[len(prefix):].split(newline)
    old_lines = [s.encode() for s in lines] + [b""]
    assert len(new_lines) == len(old_lines)
    assert [n for n, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b] == [2]
    assert newline == b"\n" or b"\n" not in after.replace(b"\r\n", b"")  # no bare LF crept in
    assert kehu("check", store=path).code == 0


@pytest.mark.parametrize(("prefix", "newline"), [(b"", b"\r\n"), (b"\xef\xbb\xbf", b"\r\n"), (b"", b"\r")],
                         ids=["crlf", "bom+crlf", "cr"])
def test_a_line_added_to_a_ledger_keeps_its_line_ends(prefix: bytes, newline: bytes,
                                                     store: tuple[Path, str, str, Path]) -> None:
    """A purchase, a redemption and an import's purchases each add a line to a ledger: in a
    ledger saved with CRLF (a Windows editor) the new line was LF, a file of mixed ends."""
    path, cid, _, record = store
    assert kehu("purchase", "add", cid, "--amount", "300", "--date", "2026-11-01", "--paid", store=path).code == 0
    ledger = record.parent / "points.ledger.yaml"
    old = ledger.read_bytes().rstrip(b"\n").split(b"\n")
    ledger.write_bytes(prefix + newline.join(old) + newline)
    assert kehu("purchase", "add", cid, "--amount", "50", "--date", "2026-11-02", "--paid", store=path).code == 0
    assert kehu("points", "redeem", cid, "10", store=path).code == 0
    sheet = path.parent / "purchases.csv"
    sheet.write_text(f"客户编号,日期,商品,金额\n{cid},2026-11-03,茶,20\n{cid},2026-11-04,茶,30\n", encoding="utf-8")
    imported = kehu("import", str(sheet), store=path)
    assert imported.code == 0, imported.err
    after = ledger.read_bytes()
    assert after.startswith(prefix + b"#") and after.endswith(newline)
    lines = after[len(prefix):].split(newline)
    assert len(lines) == len(old) + 5 and lines[:len(old)] == old  # four lines added, the old ones as they were
    assert all(b"\r" not in line and b"\n" not in line for line in lines)  # no other line end crept in
    assert kehu("check", store=path).code == 0
    assert "390 points" in kehu("points", cid, store=path).out.splitlines()[0]


def test_a_csv_of_utf8_and_gbk_lines_imports_right_names(store: tuple[Path, str, str, Path], tmp_path: Path) -> None:
    path = store[0]
    sheet = tmp_path / "mixed.csv"
    sheet.write_bytes("姓名,手机\n".encode() + "赵敏,13800138000\n".encode("gbk")
                      + "王芳,13912345678\n".encode())
    result = kehu("import", str(sheet), store=path)
    no_traceback(result)
    assert result.code == 0, result.err
    names = {c["name"] for c in kehu("customer", "list", "--json", store=path).json()}
    assert {"赵敏", "王芳"} <= names


@pytest.mark.parametrize(("name", "data"), [
    ("english-header.csv", "name,phone\n王芳,13912345601\n李四,13912345602\n".encode("gbk")),
    ("chinese-header.csv", "姓名,手机\n王芳,13912345601\n李四,13912345602\n".encode("gbk")),
    ("phone.vcf", "".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{n}\r\nTEL:1391234560{i}\r\nEND:VCARD\r\n"
                          for i, n in enumerate(["王芳", "李四"], 1)).encode("gbk")),
    ("windows.vcf", "".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{n}\r\nTEL:1391234560{i}\r\nEND:VCARD\r\n"
                            for i, n in enumerate(["王芳", "李四"], 1)).encode("utf-16")),
])
def test_a_short_file_in_gbk_or_utf16_imports_right_names(name: str, data: bytes,
                                                          store: tuple[Path, str, str, Path], tmp_path: Path) -> None:
    """A detector took a short GBK file for Big5 or Korean: 王芳 was imported as 卼滂 (a vCard)
    or 珙렐 (a CSV) with exit 0, and a CSV with a GBK header lost every row ("row has no
    name"). A UTF-16 vCard (Windows' contacts) was "of unknown kind" without --format."""
    path = store[0]
    source = tmp_path / name
    source.write_bytes(data)
    result = kehu("import", str(source), store=path)
    no_traceback(result)
    assert result.code == 0, result.err
    names = {c["name"] for c in kehu("customer", "list", "--json", store=path).json()}
    assert {"王芳", "李四"} <= names, names


def test_a_file_in_another_legacy_encoding_still_imports(store: tuple[Path, str, str, Path],
                                                         tmp_path: Path) -> None:
    """Windows-1252 is no GBK (é followed by a space is no GBK pair): it is still recognised."""
    path = store[0]
    sheet = tmp_path / "europe.csv"
    sheet.write_bytes("name,phone\nJosé García,13912345690\n".encode("cp1252"))
    result = kehu("import", str(sheet), store=path)
    no_traceback(result)
    assert result.code == 0, result.err
    assert "José García" in {c["name"] for c in kehu("customer", "list", "--json", store=path).json()}


def test_a_csv_line_in_no_known_encoding_is_refused_with_its_line(store: tuple[Path, str, str, Path],
                                                                  tmp_path: Path) -> None:
    path = store[0]
    sheet = tmp_path / "broken.csv"
    sheet.write_bytes("姓名,手机\n赵敏,13800138000\n".encode() + b"\x80\x80\xff,13700000000\n")
    before = tree_hash(path)
    result = kehu("import", str(sheet), store=path)
    no_traceback(result)
    assert result.code == 1
    assert f"{sheet}:3: line 3 is neither UTF-8 nor GBK text" in result.err
    assert tree_hash(path) == before


def test_a_field_nested_hundreds_of_levels_is_one_message(store: tuple[Path, str, str, Path]) -> None:
    path, cid, other, record = store
    deep = "".join("  " * (i + 1) + "k:\n" for i in range(300))
    record.write_text(f"id: {cid}\nname: 李雷\nextra:\n{deep}", encoding="utf-8")
    check = kehu("check", store=path)
    listed = kehu("customer", "list", "--json", store=path)
    no_traceback(check, listed)
    # at the line of the first key too deep: line 3 is extra:, its 32nd k (33 levels) is line 35
    assert check.code == 1 and f"{record}:35: extra: nested more than 32 levels deep" in check.out + check.err
    assert listed.code == 0 and [c["id"] for c in listed.json()] == [other]


@pytest.mark.parametrize("style", ["block", "flow"])
def test_a_field_nested_too_deep_is_reported_at_its_key(style: str, store: tuple[Path, str, str, Path]) -> None:
    path, cid, _, record = store
    if style == "block":  # 40 levels in a list under a key on line 5
        deep = "extra:\n  note: 1\n  tags:\n  - " + "[" * 40 + "]" * 40 + "\n"
        line = 6
    else:  # a mapping in flow style, 40 levels, on line 4
        deep = "notes: 平常\nextra: " + "{a: " * 40 + "1" + "}" * 40 + "\n"
        line = 4
    record.write_text(f"id: {cid}\nname: 李雷\n{deep}", encoding="utf-8")
    check = kehu("check", store=path)
    shown = kehu("customer", "show", cid, store=path)
    no_traceback(check, shown)
    assert f"{record}:{line}: extra: nested more than 32 levels deep" in check.out + check.err
    assert shown.code == 1 and f"{record}:{line}: extra: nested more" in shown.err


def test_a_record_in_the_wrong_shard_is_reported_at_its_id(store: tuple[Path, str, str, Path]) -> None:
    path, cid, other, record = store
    record.write_text(f"name: 李雷\n# 老客户\nid: {cid}\n", encoding="utf-8")
    wrong = path / "customers" / ("zz" if shard(cid) != "zz" else "yy") / cid
    wrong.parent.mkdir()
    shutil.move(str(record.parent), str(wrong))
    check = kehu("check", store=path)
    no_traceback(check)
    assert check.code == 1
    assert f"{wrong / 'customer.yaml'}:3: customer {cid!r} is in the wrong folder" in check.out + check.err


def test_a_copy_of_a_customers_records_in_another_shard_is_reported_and_never_read(
        store: tuple[Path, str, str, Path]) -> None:
    """A purchase and a ledger of a customer under another shard folder (a folder copied or
    moved by hand, a bad glob): `check` said ok, and the copy stood in for the customer's own
    record of that id (one index row per customer and id). Now each file is a problem at its
    path, and every command reads only the customer's own folder."""
    path, cid, _other, record = store
    assert kehu("purchase", "add", cid, "--amount", "100", "--date", "2026-11-02", "--paid", store=path).code == 0
    own = record.parent
    stray = path / "customers" / ("zz" if shard(cid) != "zz" else "yy") / cid
    shutil.copytree(own / "interactions", stray / "interactions")
    shutil.copy(own / "points.ledger.yaml", stray / "points.ledger.yaml")
    copy = next((stray / "interactions").glob("*.yaml"))
    copy.write_text(copy.read_text(encoding="utf-8").replace("amount: 100.00", "amount: 999.00"), encoding="utf-8")
    check = kehu("check", store=path)
    shown = kehu("customer", "show", cid, "--json", store=path)
    no_traceback(check, shown)
    said = check.out + check.err
    assert check.code == 1
    for wrong in (copy, stray / "points.ledger.yaml"):
        assert f"{wrong}:1: in the wrong folder: the records of customer {cid} are under " \
               f"customers/{shard(cid)}/{cid}/" in said, said
    assert [p["amount"] for p in shown.json()["purchases"]] == ["100.00"]


def test_sixteen_thousand_tags_are_each_found_and_a_profile_of_them_is_one_problem(
        store: tuple[Path, str, str, Path]) -> None:
    """Every one of 16 000 tags is in a customer's search text (made in linear time since: the
    quadratic join took about 30 s; timed by ``bench/hostile_sizes.py``, never here)."""
    tags = [f"t{i}" for i in range(16_000)]
    text = search_text("李雷", tags=tags)
    assert "#t15999" in text and "#t0" in text
    # a profile holds at most models.MAX_TAGS tags since (tests/test_hostile_limits.py): a file
    # holding 16 000 is one problem at its line (its check timed by bench/hostile_sizes.py)
    path, cid, _, record = store
    record.write_text(f"id: {cid}\nname: 李雷\ntags:\n" + "".join(f"- {t}\n" for t in tags), encoding="utf-8")
    check = kehu("check", store=path)
    assert check.code == 1 and f"{record}:3: tags: List should have at most 200 items" in check.out + check.err
