"""The fifteenth outside round (C, 2026-12-06), kinds 7, 8 and 9: exports that attack their
reader, resource exhaustion, plugins. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.handed import HandedFailed
from kehu_core.plugins import Column, Panel
from kehu_core.testing import make_store as store_with_plugins
from kehu_core.testing import run_kehu

from .conftest import kehu
from .pluginutil import configure, installed_plugin
from .test_serve import DAY, Server, card_url, free_port, make_store, wait_until_up

_FAILS = '''
from kehu_core import hookimpl


@hookimpl
def validate_customer(customer, store):
    if any(phone.endswith("9999") for phone in customer.phones):  # the rule's own server is down
        raise RuntimeError("rule server down")
    return []
'''


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "customers").rglob("*")) if p.is_file()}


def test_a_card_whose_plugin_rule_failed_is_refused_and_not_stored_by_kehu_serve(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kehu serve` with a third party's rule (`validate_customer`) that fails on the card a
    phone sends (its own server down): the failure was only logged and the card stored, the
    phone told 201/204 — and the next `kehu sync` refused the store, the rule failing again
    in its check, with the rep long gone. A write whose plugin hooks failed is undone, as a
    failed hook's writes are, and the phone is answered 503 (send again later) naming the
    plugin; the store is as it was, the undo journal without an entry."""
    root = tmp_path_factory.mktemp("fails") / "store"
    site = installed_plugin(root.parent / "site", "fails_kehu", "fails", _FAILS)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    ids = make_store(root)
    before, journal = _files(root), kehu("undo", "--list", store=root).out
    port, log = free_port(), root.parent / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "kehu_core", "--store", str(root), "serve", "--port",
                                    str(port)], env={**os.environ, "KEHU_TODAY": DAY, "LANGUAGE": "en"},
                                   stdout=out, stderr=subprocess.STDOUT, text=True)
    server = Server(f"http://127.0.0.1:{port}/", root, ids, process)
    try:
        wait_until_up(server.url, process, log)
        session = server.session("wangfang")
        new = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:boom-0001\r\nFN:新客\r\nTEL:13600009999\r\nEND:VCARD\r\n"
        added = session.put(f"{server.book('wangfang')}boom-0001.vcf", data=new.encode(), timeout=60,
                            headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
        url = card_url(server, "wangfang", "李四")
        got = session.get(url, timeout=60)
        assert got.status_code == 200, got.text
        edited = got.text.replace("tel:+8613712340000", "tel:+8613712349999")
        assert edited != got.text
        changed = session.put(url, data=edited.encode(), timeout=60,
                              headers={"If-Match": got.headers["ETag"], "Content-Type": "text/vcard"})
    finally:
        process.terminate()
        process.wait(timeout=30)
    for answer in (added, changed):
        assert answer.status_code == 503, (answer.status_code, answer.text)
        assert "plugin 'fails' failed in validate_customer" in answer.text, answer.text
        assert "nothing was changed" in answer.text, answer.text
    assert _files(root) == before
    assert kehu("undo", "--list", store=root).out == journal
    assert "Traceback" not in log.read_text(encoding="utf-8")


def test_a_record_of_more_fields_than_a_record_holds_is_refused_before_the_editor_reads_it(
        tmp_path: Path) -> None:
    """A profile holding 100 000 fields of its own (1 MB, within a record's 2 MiB and its
    200 000 values: a colleague's script, arriving by `kehu sync`): `customer set ID nickname=x`
    took 28 s (55 s on a busy machine), ruamel reading and writing each line, and succeeded, `check`
    ok. A record holds at most 1 000 fields (`models.MAX_FIELDS`): `check` names the first past
    them at its line, every door refuses the profile in those words, and the round-trip editor
    refuses it before ruamel reads it (counted here: ruamel composes no node of it)."""
    from ruamel.yaml.composer import Composer

    from kehu_core.models import MAX_FIELDS

    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "李雷", store=path).out.strip()
    full = kehu("customer", "add", "--name", "韩梅梅", store=path).out.strip()
    profile = next((path / "customers").rglob(f"{cid}/customer.yaml"))
    profile.write_text(f"id: {cid}\nname: 李雷\n" + "".join(f"f{i}: v\n" for i in range(5_000)), encoding="utf-8")
    at_most = next((path / "customers").rglob(f"{full}/customer.yaml"))
    at_most.write_text(f"id: {full}\nname: 韩梅梅\n" + "".join(f"f{i}: v\n" for i in range(MAX_FIELDS - 2)),
                       encoding="utf-8")
    before = profile.read_bytes()
    checked = kehu("check", store=path)
    assert checked.code == 1, checked.out + checked.err
    said = f"{profile}:{MAX_FIELDS + 1}: f{MAX_FIELDS - 2}: the record holds 5002 fields; a record holds at most 1000"
    assert said in checked.out + checked.err, checked.out + checked.err
    assert str(at_most) not in checked.out + checked.err
    composed = 0

    def count(frame: Any, event: str, _arg: Any) -> None:
        nonlocal composed
        if event == "call" and frame.f_code is Composer.compose_node.__code__:
            composed += 1

    sys.setprofile(count)
    try:
        edited = kehu("customer", "set", cid, "nickname=x", store=path)
    finally:
        sys.setprofile(None)
    assert edited.code == 1 and "a record holds at most 1000" in edited.err, edited.out + edited.err
    assert "Traceback" not in edited.err
    assert composed == 0, composed
    assert profile.read_bytes() == before
    fine = kehu("customer", "set", full, "f0=w", store=path)  # at the bound: a record as any
    assert fine.code == 0, fine.err


class _ManyFields:
    @hookimpl
    def customer_fields(self) -> Any:
        return {f"f{i}": (str | None, None) for i in range(20_000)}


class _ManyRules:
    class Rule:
        def __init__(self, n: int) -> None:
            self.name = f"many{n}"

        def due(self, store: Any, customer: Any, history: Any, start: Any, end: Any) -> Any:
            return []

    @hookimpl
    def reminder_rules(self, store: Any) -> Any:
        return [self.Rule(n) for n in range(2_000)]


def test_a_plugin_declaring_thousands_of_fields_or_rules_is_named_and_left_out(tmp_path: Path) -> None:
    """A plugin whose `customer_fields` declares a field per column of a sheet (20 000), or whose
    `reminder_rules` gives a rule per product (2 000): the first cost every command 4 to 6 s
    (the store's model built of them), the second `kehu reminders` of 100 customers 7 s (15 s on
    a busy machine: each rule asked of each customer with its own copies). A plugin declares at
    most 100 fields and gives at most 50 rules (`results.MAX_DECLARED_FIELDS`, `MAX_RULES`); more
    is its wrong result, named, and left out, the built-in plugins' own as before."""
    store = store_with_plugins(tmp_path / "shop", customers=[{"name": "赵敏", "birthday": "1990-11-22"}],
                       plugins={"manyf": _ManyFields(), "manyr": _ManyRules()})
    cid = next(iter(store.iter_customer_ids()))
    shown = run_kehu(store, "customer", "show", cid, "--json")
    assert shown.code == 0, shown.err
    assert ("plugin 'manyf' failed in customer_fields: wrong result: declared 20000 fields; "
            "a plugin declares at most 100") in shown.err, shown.err
    assert "f0" not in shown.json()
    reminded = run_kehu(store, "reminders", "--json")
    assert reminded.code == 0, reminded.err
    assert ("plugin 'manyr' failed in reminder_rules: wrong result: returned 2000 reminder rules; "
            "a plugin gives at most 50") in reminded.err, reminded.err
    rules = {r["rule"] for r in reminded.json()}
    assert "birthday" in rules and not any(rule.startswith("many") for rule in rules), rules


@pytest.mark.parametrize("mark", ["\u200b", "\u2060", "\ufeff", "\u200e"])
def test_a_name_holding_an_invisible_character_is_found_by_the_name_it_shows(tmp_path: Path, mark: str) -> None:
    """A second 张三 whose name holds a zero-width space (a word joiner, a byte order mark, a
    direction mark: pasted from a chat app, or made to pass for the first): every list and
    export shows two 张三, and `kehu search 张三` found the first alone — a rep looking for the
    customer found one and never the other. A name and a nickname are searched as they show
    (`textsearch.name_key`), and so is a query (one pasted with the mark finds both)."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    plain = kehu("customer", "add", "--name", "张三", "--phone", "13900001111", store=path).out.strip()
    marked = kehu("customer", "add", "--name", f"张{mark}三", "--phone", "13900002222", store=path).out.strip()
    nick = kehu("customer", "add", "--name", "李四", "--phone", "13900003333", store=path).out.strip()
    assert kehu("customer", "set", nick, f"nickname=小{mark}李", store=path).code == 0
    for query in ("张三", f"张{mark}三"):
        found = kehu("search", query, "--json", store=path)
        assert found.code == 0, found.err
        assert {c["id"] for c in found.json()} == {plain, marked}, (query, found.out)
    assert [c["id"] for c in kehu("search", "小李", "--json", store=path).json()] == [nick]


class _Sly(str):
    """Text whose comparison, hash and text are its plugin's code, each raising."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    def __hash__(self) -> int:
        raise RuntimeError("hash")

    def __str__(self) -> str:
        raise RuntimeError("str")


class _SlyInt(int):
    def __str__(self) -> str:
        raise RuntimeError("str")

    __repr__ = __str__


class _SlyResults:
    @hookimpl
    def tier_names(self, store: Any) -> Any:
        return [_Sly("VIP")]

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> Any:
        return {"wechat": _Sly("wx"), "score": _SlyInt(3)}


def test_a_plugins_text_whose_comparison_or_text_raises_is_its_wrong_result(tmp_path: Path) -> None:
    """A plugin's tier names and values that are objects of a subclass of `str` (or `int`) whose
    `__eq__`, `__hash__` or `__str__` raise: each passed the results' checks, being text, and then
    `customer list --tier VIP` ended in "internal error: RuntimeError", as did `customer show`
    and `list --json` printing the value. A text a plugin gives is a `str` itself (a number an
    `int`, …: `results._text`, the leaves of `_not_json`); another is its wrong result, named."""
    store = store_with_plugins(tmp_path / "shop", customers=[{"name": "赵敏"}], plugins={"sly": _SlyResults()})
    cid = next(iter(store.iter_customer_ids()))
    runs = {"list --tier": run_kehu(store, "customer", "list", "--tier", "VIP"),
            "show": run_kehu(store, "customer", "show", cid),
            "show --json": run_kehu(store, "customer", "show", cid, "--json"),
            "list --json": run_kehu(store, "customer", "list", "--json")}
    for what, ran in runs.items():
        assert "internal error" not in ran.err and "Traceback" not in ran.err, (what, ran.err)
        assert "plugin 'sly' failed in" in ran.err, (what, ran.err)
    assert runs["list --tier"].code == 1 and "no tier 'VIP'" in runs["list --tier"].err
    assert runs["show --json"].code == 0 and "wechat" not in runs["show --json"].json()


_LOADS_BADLY = '''
from pathlib import Path

Path(__file__).with_name("imported").write_text("yes")  # (what a connection at import time would cost)
raise RuntimeError("needs the old CRM server")
'''


def test_a_plugin_disabled_in_kehu_yaml_is_never_imported(tmp_path: Path) -> None:
    """An installed plugin whose module fails as it is imported (it connects to the shop's old
    CRM server, now gone; or it takes a minute to) and which the shop has turned off as the docs
    say, `plugins: disabled: [crm]` in kehu.yaml: its module was still imported by every
    command — "plugin 'crm' failed in import" said on each, its import's time paid by each. A
    disabled plugin is never imported (`loading.installed_plugins`); `kehu plugins` still lists
    it as disabled, and enabled again it is imported and its failure said, as before."""
    site = installed_plugin(tmp_path / "site", "crm_kehu", "crm", _LOADS_BADLY)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p),
           "KEHU_TODAY": DAY, "LANGUAGE": "en"}
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    configure(path, disabled=["crm"])
    for argv in (["customer", "add", "--name", "李雷"], ["customer", "list"], ["check"]):
        ran = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(path), *argv], env=env,
                             capture_output=True, text=True)
        assert ran.returncode == 0, (argv, ran.stderr)
        assert "crm" not in ran.stderr, (argv, ran.stderr)
    assert not (site / "crm_kehu" / "imported").exists()
    listed = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(path), "plugins"], env=env,
                            capture_output=True, text=True)
    assert "disabled in kehu.yaml: crm" in listed.stderr, listed.stderr
    configure(path, disabled=[])
    enabled = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(path), "customer", "list"], env=env,
                             capture_output=True, text=True)
    assert "plugin 'crm' failed in import: RuntimeError: needs the old CRM server" in enabled.stderr, enabled.stderr
    assert (site / "crm_kehu" / "imported").exists()


class _SlyScreens:
    @hookimpl
    def tui_columns(self, store: Any) -> Any:
        return [Column(title="微信", value=lambda s, c: "ok", key=_Sly("wechat"))]

    @hookimpl
    def tui_panels(self, store: Any) -> Any:
        return [Panel(title=_Sly("微信"), render=lambda s, c: "ok")]


def test_a_plugins_column_or_panel_whose_texts_raise_is_its_wrong_result(tmp_path: Path) -> None:
    """The TUI's columns and panels of a plugin whose key, title or cell is an object of a
    subclass of `str` whose `__hash__`, `__eq__` or `__str__` raise: the list's columns, keyed
    by their key (`PluginHost.items`), ended in "RuntimeError: hash" as the TUI started, and a
    cell or panel so made where the TUI drew it — the plugin's code run outside its guard. A
    column's title and key, a panel's title and what it shows are texts themselves, a cell and
    a panel's content text itself, a number, a date or a Rich renderable (`results._columns`,
    `_panels`, `handed._cell`, `_showable`); another is its wrong result, named."""
    store = store_with_plugins(tmp_path / "shop", customers=[{"name": "赵敏"}], plugins={"sly": _SlyScreens()})
    columns = [column for plugin, column in store.plugins.items("tui_columns", store=store) if plugin == "sly"]
    panels = [panel for plugin, panel in store.plugins.items("tui_panels", store=store) if plugin == "sly"]
    failed = [str(f) for f in store.plugins.failures]
    assert any("plugin 'sly' failed in tui_columns: wrong result" in f for f in failed), failed
    assert any("plugin 'sly' failed in tui_panels: wrong result" in f for f in failed), failed
    assert columns == [] and panels == []
    shown = store_with_plugins(tmp_path / "other", customers=[{"name": "赵敏"}], plugins={"sly": _SlyCells()})
    customer = shown.get(next(iter(shown.iter_customer_ids())))
    [column] = [c for plugin, c in shown.plugins.items("tui_columns", store=shown) if plugin == "sly"]
    [panel] = [p for plugin, p in shown.plugins.items("tui_panels", store=shown) if plugin == "sly"]
    for handed in (column.value, panel.render):
        with pytest.raises(HandedFailed, match="returned _Sly, expected text or a Rich renderable"):
            handed(shown, customer)


class _SlyCells:
    @hookimpl
    def tui_columns(self, store: Any) -> Any:
        return [Column(title="积分", value=lambda s, c: _Sly("99"), key="sly_points")]

    @hookimpl
    def tui_panels(self, store: Any) -> Any:
        return [Panel(title="积分", render=lambda s, c: _Sly("99"))]


def _folded(line: str) -> bytes:
    """``line`` folded every 75 bytes as some writers fold (the RFC's count), splitting a
    character of three bytes where the count falls."""
    data, out = line.encode("utf-8"), []
    while data:
        out.append(data[:75 if not out else 74])
        data = data[75 if len(out) == 1 else 74:]
    return b"\r\n ".join(out)


def test_a_vcard_folded_inside_a_character_is_read_whole(tmp_path: Path) -> None:
    """A vCard whose long lines were folded every 75 bytes (RFC 6350's count: a phone's or a
    program's export that does not keep each character whole, as the RFC says to), so a fold
    falls inside a Chinese character of a NOTE: `kehu import` refused the card, "line 5 is
    neither UTF-8 nor GBK text", though the file unfolded is UTF-8 throughout. The screen both
    `kehu import` and `kehu serve` read a card through moves such a fold after the character
    (`vcard_stream.whole_characters`, the line count kept); a GBK card is read as before."""
    note = "喜欢龙井茶和书法，每年春节前来店里买茶叶送给客户。" * 3
    card = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\xe8\xb5\xb5\xe6\x95\x8f\r\n" + _folded("NOTE:" + note)
            + b"\r\nTEL:13912345678\r\nEND:VCARD\r\n")
    lines = card.split(b"\r\n")
    assert any(_splits_a_character(line) for line in lines)  # (as such a writer folds)
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    (tmp_path / "folded.vcf").write_bytes(card)
    imported = kehu("import", str(tmp_path / "folded.vcf"), store=path)
    assert imported.code == 0, imported.err
    [customer] = kehu("customer", "list", "--json", store=path).json()
    shown = kehu("customer", "show", customer["id"], "--json", store=path).json()
    assert shown["name"] == "赵敏" and shown["notes"] == note, shown
    gbk = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:王小芳\r\nNOTE:" + "龙井" * 40 + "\r\nEND:VCARD\r\n"
    (tmp_path / "gbk.vcf").write_bytes(gbk.encode("gbk"))
    assert kehu("import", str(tmp_path / "gbk.vcf"), store=path).code == 0
    assert "王小芳" in {c["name"] for c in kehu("customer", "list", "--json", store=path).json()}


def _splits_a_character(line: bytes) -> bool:
    try:
        line.decode("utf-8")
        return False
    except UnicodeDecodeError:
        return True


class _Wordy:
    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> Any:
        if customer.nickname == "many":
            return [f"note {i}: not a wechat id" for i in range(1_000_000)]  # a line per note it read
        if customer.nickname == "long":
            return ["wechat: " + "x" * 5_000_000]
        return []


def test_a_rule_giving_a_million_messages_or_one_of_megabytes_is_its_wrong_result(tmp_path: Path) -> None:
    """A plugin's `validate_customer` giving a million messages for one customer (a line for each
    note it read), or one message of 5 MB: `customer set` took 14 s and 570 MB to refuse the edit,
    printing 90 MB on stderr (5 MB in one line), and `kehu check` printed them for every such
    customer. A rule gives at most 100 messages a customer, each at most 1 000 characters
    (`results.MAX_MESSAGES`, `MAX_MESSAGE_TEXT`); more is its wrong result, named in a line."""
    store = store_with_plugins(tmp_path / "shop", customers=[{"name": "赵敏"}], plugins={"wordy": _Wordy()})
    cid = next(iter(store.iter_customer_ids()))
    many = run_kehu(store, "customer", "set", cid, "nickname=many")
    assert "plugin 'wordy' failed in validate_customer: wrong result: returned 1000000 messages; a rule gives at " \
           "most 100 for a customer" in many.err, many.err[:500]
    long = run_kehu(store, "customer", "set", cid, "nickname=long")
    assert "plugin 'wordy' failed in validate_customer: wrong result" in long.err, long.err[:500]
    checked = run_kehu(store, "check")
    for ran in (many, long, checked):
        assert len(ran.out) + len(ran.err) < 10_000, (len(ran.out), len(ran.err))
        assert "Traceback" not in ran.err
