"""Deep chains of referrals (issue 16, kinds 2 and 3): customer 1 referred by 2, 2 by 3, … a
thousand and more deep, with no loop, as an import of one sheet makes it. The referrals
report, its JSON, its tree in the CLI and the TUI and ``kehu check`` walked the chain by
recursion and ended in "internal error: RecursionError"; now every walk is a loop of work, the
tree is drawn at most ``MAX_TREE_DEPTH`` levels deep (a deeper branch goes on as a tree of its
own, said so at both ends) and a loop's message names its ends, not thousands of ids."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from kehu_core.ids import shard
from kehu_core.reports.referrals import MAX_TREE_DEPTH

from .conftest import kehu
from .test_hostile import tree_hash
from .test_hostile_values import no_traceback

DEPTH = 1500  # past Python's recursion limit (1 000) with room to spare


def _cid(n: int) -> str:
    return f"c{n:05d}"


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose customer 1 was referred by 2, 2 by 3, ... DEPTH by nobody: one real import."""
    base = tmp_path_factory.mktemp("deep")
    path = base / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    sheet = base / "chain.csv"
    rows = [f"{_cid(n)},客户{n},{_cid(n + 1) if n < DEPTH else ''}" for n in range(1, DEPTH + 1)]
    sheet.write_text("id,name,referrer\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = kehu("import", str(sheet), store=path)
    assert result.code == 0, result.err
    assert kehu("purchase", "add", _cid(1), "--amount", "300", "--date", "2026-11-01", "--paid",
                store=path).code == 0
    shutil.rmtree(path / ".kehu", ignore_errors=True)
    return path


@pytest.fixture
def store(chain: Path, tmp_path: Path) -> Path:
    path = tmp_path / "store"
    shutil.copytree(chain, path)
    return path


def _depth(nodes: list[dict]) -> int:
    deepest, work = 0, [(n, 1) for n in nodes]
    while work:
        node, depth = work.pop()
        deepest = max(deepest, depth)
        work.extend((c, depth + 1) for c in node["referred"])
    return deepest


def _ids(nodes: list[dict]) -> list[str]:
    out, work = [], list(nodes)
    while work:
        node = work.pop()
        out.append(node["customer_id"])
        work.extend(node["referred"])
    return out


def test_the_referrals_report_of_a_deep_chain_ends_and_draws_it_in_pieces(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as in a pipe: no COLUMNS (pytest-xdist's workers set 80, which folds the tree's lines)
    monkeypatch.delenv("COLUMNS", raising=False)
    result = kehu("report", "referrals", "--json", store=store)
    assert result.code == 0, result.err
    report = json.loads(result.out)  # Python's own reader stops at about 1 000 levels of nesting
    assert report["referred"] == DEPTH - 1 and report["converted"] == 1
    tree = report["tree"]
    assert sorted(_ids(tree)) == [_cid(n) for n in range(1, DEPTH + 1)]  # each customer once
    assert _depth(tree) <= MAX_TREE_DEPTH
    assert tree[0]["customer_id"] == _cid(DEPTH) and tree[0]["continues"] is None
    # a cut branch says how many go on below, and the next tree says whom it continues from
    cut = tree[0]
    while cut["referred"]:
        cut = cut["referred"][0]
    assert cut["more"] == 1 and tree[1]["continues"] == cut["customer_id"]
    assert tree[1]["continues_name"] == cut["name"]

    text = kehu("report", "referrals", store=store)
    assert text.code == 0, text.err
    no_traceback(text)
    assert "1 more referred: continued below" in text.out
    assert f"客户{DEPTH - MAX_TREE_DEPTH} (referred by 客户{DEPTH - MAX_TREE_DEPTH + 1}, continued)" in text.out
    assert "客户1 ¥300.00" in text.out
    width = max(len(line) for line in text.out.splitlines() if "客户" in line)
    assert width < 120, "the guides of the tree grow with the chain"


def test_check_reminders_and_a_loop_of_a_deep_chain(store: Path) -> None:
    result = kehu("check", store=store)
    assert result.code == 0, result.out + result.err
    assert f"ok: {DEPTH} customers" in result.err
    reminders = kehu("reminders", "--json", store=store)
    assert reminders.code == 0, reminders.err

    # closing the chain into a loop is refused, named by its ends
    before = tree_hash(store)
    refused = kehu("customer", "set", _cid(DEPTH), f"referrer={_cid(1)}", store=store)
    assert refused.code == 1
    ends = [_cid(DEPTH), _cid(1), _cid(2), _cid(3), f"… {DEPTH - 7} more …", *map(_cid, range(DEPTH - 3, DEPTH + 1))]
    assert f"a loop of referrals ({' → '.join(ends)})" in refused.err, refused.err[:500]
    assert len(refused.err) < 500
    no_traceback(refused)
    assert tree_hash(store) == before

    # made by hand (or a merge): check names each customer of it, each in one short line
    top = store / "customers" / shard(_cid(DEPTH)) / _cid(DEPTH) / "customer.yaml"
    top.write_text(top.read_text(encoding="utf-8") + f"referrer: {_cid(1)}\n", encoding="utf-8")
    looped = kehu("check", store=store)
    assert looped.code == 1
    no_traceback(looped)
    lines = [line for line in looped.out.splitlines() if "a loop of referrals" in line]
    assert len(lines) == DEPTH and max(map(len, lines)) < 500
    report = kehu("report", "referrals", "--json", store=store)
    assert report.code == 0, report.err
    tree = json.loads(report.out)["tree"]
    assert sorted(_ids(tree)) == [_cid(n) for n in range(1, DEPTH + 1)] and _depth(tree) <= MAX_TREE_DEPTH


@pytest.mark.asyncio
async def test_the_tui_draws_a_deep_chain(store: Path) -> None:
    from kehu_tui.screens.reports import ReferralsScreen

    from .test_tui import SIZE, make_app, text_of, wait_for
    from .test_tui_reports import _open

    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app, "f", ReferralsScreen)
        await wait_for(pilot, lambda: "continued" in text_of(screen.query_one("#referral-tree")), "the tree")
        tree = text_of(screen.query_one("#referral-tree"))
        assert "1 more referred: continued below" in tree and "客户1 ¥300.00" in tree


def test_an_import_naming_the_end_of_a_deep_chain_creates_every_row(store: Path, tmp_path: Path) -> None:
    """Each row's loop check read the whole chain's files again: 300 rows naming the last of a
    chain 5 000 deep took 38 s of CPU (1.5 million reads), here 11 s; now each file is read once
    (timed by ``bench/hostile_sizes.py``, never here). Here, what the import records."""
    sheet = tmp_path / "kids.csv"
    sheet.write_text("name,referrer\n" + "".join(f"新客{n},{_cid(1)}\n" for n in range(300)), encoding="utf-8")
    result = kehu("import", str(sheet), store=store)
    assert result.code == 0, result.err
    assert "300 created" in result.out + result.err
    listed = kehu("customer", "list", "--json", store=store)
    assert sum(c.get("referrer") == _cid(1) for c in listed.json()) == 300, listed.out[:500]


# --- nesting past Python's stack in what kehu reads besides records --------------------------------


def _card(name: str, value: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nX-KEHU-HOBBY:{value}\r\nEND:VCARD\r\n"


def test_a_vcard_field_of_json_nested_thousands_deep_is_text(tmp_path: Path) -> None:
    """kehu writes a field that is no text as JSON in X-KEHU-*; a card whose X-KEHU value was
    "[[[[…" 5 000 deep (or {"a": {"a": …) ended the import in "internal error: RecursionError",
    and so did exporting a customer whose text was such brackets: now it is text both ways."""
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    deep = "[" * 5000 + "]" * 5000
    cards = tmp_path / "deep.vcf"
    cards.write_text(_card("深一", deep) + _card("深二", '{"a":' * 5000 + "1" + "}" * 5000), encoding="utf-8")
    result = kehu("import", str(cards), store=path)
    assert result.code == 0, result.err
    no_traceback(result)
    shown = {c["name"]: c for c in json.loads(kehu("customer", "list", "--json", store=path).out)}
    assert shown["深一"]["hobby"] == deep and shown["深二"]["hobby"].startswith('{"a":{"a":')
    out = tmp_path / "out.vcf"
    exported = kehu("export", str(out), "--format", "vcard", store=path)
    assert exported.code == 0, exported.err
    assert f"X-KEHU-HOBBY:{deep}" in out.read_bytes().decode("utf-8").replace("\r\n ", "")
    # JSON a record may hold (32 levels) is still read as JSON, and deeper is said at its card
    cards.write_text(_card("深三", "[" * 40 + "]" * 40), encoding="utf-8")
    refused = kehu("import", str(cards), store=path)
    said = f"{cards}:1: line 4 (X-KEHU-HOBBY): hobby: nested more than 32 levels deep"
    assert refused.code == 1 and said in refused.err


@pytest.mark.parametrize("depth", [40, 300, 3000])
def test_kehu_yaml_nested_past_a_records_depth_is_one_message(depth: int, tmp_path: Path) -> None:
    """Plugin settings nested 300 levels deep: `kehu points` ended in "internal error:
    YamlFileError: maximum recursion depth exceeded" (the round-trip loader, asked for the
    line of the settings' problem) while `check` said ok. Now kehu.yaml is held to a record's
    depth when the store opens: one message at the line, for every command."""
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "甲", store=path).out.strip()
    config = path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    assert "plugins:\n" in text
    config.write_text(text.replace("plugins:\n", "plugins:\n  points:\n    tiers: " + "[" * depth + "]" * depth
                                   + "\n", 1), encoding="utf-8")
    line = config.read_text(encoding="utf-8").splitlines().index("  points:") + 2
    before = tree_hash(path)
    for argv in (["points", cid], ["check"], ["customer", "list"], ["customer", "set", cid, "notes=x"]):
        result = kehu(*argv, store=path)
        assert result.code == 1, (argv, result.out)
        no_traceback(result)
        said = result.out + result.err  # yaml-rs itself stops at some 2 000 levels: its own words
        assert f"{config}:{line}: plugins: nested more than 32 levels deep" in said or (
            depth > 2000 and f"{config}:{line}: invalid YAML: while increasing flow level" in said), argv
    assert tree_hash(path) == before


def test_a_sealed_value_nested_past_pythons_stack_is_a_lock(tmp_path: Path) -> None:
    """A colleague with the key can seal any JSON: one nested 5 000 deep ended `customer show`
    in "internal error: RecursionError" for the key holder. Now it is a value that cannot be
    read (the lock, with the reason), like a damaged one; the rest of the customer shows."""
    import pyrage

    from kehu_core.confidential import SEALED_PREFIX, _recipient
    from kehu_core.store import Store

    from .test_confidential import configure, keyfile

    folder = tmp_path / "keys"
    folder.mkdir()
    keys = {name: keyfile(folder, name) for name in ("wang", "boss", "li", "stranger")}
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    configure(path, keys)
    assert kehu("customer", "add", "--name", "赵敏", "--id", "c1", "--owner", "王芳", "--set", "family=x",
                store=path).code == 0
    profile = Store.open(path).customer_file("c1")
    recipients = [_recipient(keys[who][1]) for who in ("wang", "boss")]
    for value in ("[" * 5000 + "]" * 5000, "[" * 40 + "]" * 40):
        sealed = SEALED_PREFIX + base64.b64encode(pyrage.encrypt(value.encode("utf-8"), recipients)).decode("ascii")
        lines = [f"family: {sealed}" if line.startswith("family:") else line
                 for line in profile.read_text(encoding="utf-8").splitlines()]
        profile.write_text("\n".join(lines) + "\n", encoding="utf-8")
        shown = kehu("--identity", str(keys["wang"][0]), "customer", "show", "c1", "--json", store=path)
        assert shown.code == 0, shown.err
        no_traceback(shown)
        data = shown.json()
        assert data["name"] == "赵敏" and "family" in data["locked"] and data["family"] is None


@pytest.mark.parametrize("digits", [19, 5001])
def test_a_whole_number_of_thousands_of_digits_in_a_record_is_one_problem(digits: int, tmp_path: Path) -> None:
    """`big: 1000…` (5 001 digits) under a field of a hand edit passed `check`, then ended
    `customer show`, `list --json` and every export in "internal error" (Python writes no int
    of over 4 300 digits as text; the index's JSON reader none over 64 bits). Now a record holds
    whole numbers of at most 18 digits: the rest is reported at its line and the others list."""
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    bad = kehu("customer", "add", "--name", "甲", store=path).out.strip()
    kehu("customer", "add", "--name", "乙", store=path)
    profile = path / "customers" / shard(bad) / bad / "customer.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "big: 1" + "0" * (digits - 1) + "\n", encoding="utf-8")
    line = len(profile.read_text(encoding="utf-8").splitlines())
    said = f"{profile}:{line}: big: a whole number of more than 18 digits"
    for argv in (["check"], ["customer", "show", bad, "--json"]):
        result = kehu(*argv, store=path)
        assert result.code == 1 and said in result.out + result.err, (argv, result.out + result.err)
        no_traceback(result)
    listed = kehu("customer", "list", "--json", store=path)
    assert [c["name"] for c in json.loads(listed.out)] == ["乙"]  # the rest lists
    for kind, name in (("csv", "out.csv"), ("vcard", "out.vcf"), ("xlsx", "out.xlsx")):
        exported = kehu("export", str(tmp_path / name), "--format", kind, store=path)
        assert exported.code == 0, exported.err
        no_traceback(exported)
