"""Tenth outside round, B (issue 16, kinds 5 to 9): doors the nine rounds before did not try,
each seen failing before its fix. Real stores, real processes, real git remotes and clones."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import AfterValidator, BaseModel, field_validator

from kehu_core import hookimpl
from kehu_core.plugins.api import ImportedContact
from kehu_core.testing import add_customer, make_store, run_kehu

from .conftest import kehu, kehu_subprocess
from .pluginutil import configure
from .test_hostile import tree_hash
from .test_hostile_git import team, work_hash  # noqa: F401 (team: a fixture)
from .test_team_merge import remote, sync  # noqa: F401 (remote: a fixture)

# --- kind 8: a message template asking for without end -----------------------------------------

#: a colleague's template (``templates/`` arrives by `kehu sync`) and what `kehu send` says of it
GREEDY_TEMPLATES = {
    # 30 MB of one message, exit 0 (and `center(3 * 10**9)` 3 GB)
    "a-centre-millions-wide": ('{{ "x"|center(30000000) }}', "a message may be at most 1,000,000 characters"),
    # a gigabyte each, exit 0
    "a-text-doubled-by-tilde": (
        '{% set a = "x" * 100000 %}{% set b = a~a~a~a~a~a~a~a~a~a %}{% set c = b~b~b~b~b~b~b~b~b~b %}'
        '{% set d = c~c~c~c~c~c~c~c~c~c %}{% set e = d~d~d~d~d~d~d~d~d~d %}{{ e|length }}',
        "at most 256 MB of memory"),
    "a-replace-of-long-texts": ('{{ ("x" * 10000)|replace("x", "y" * 100000)|length }}', "at most 256 MB of memory"),
    "a-join-of-one-text-many-times": ('{{ (["x" * 10000] * 100000)|join|length }}', "at most 256 MB of memory"),
    # worked out by Jinja while it compiled the template, outside every bound of a render
    "a-format-of-constants": ('{{ "%0999999999d"|format(1)|length }}', "at most 256 MB of memory"),
    # ran for ever
    "a-loop-in-a-loop": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                         "at most 1,000,000 loop rounds and calls"),
    "a-macro-calling-itself-twice": (
        "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(60) }}",
        "at most 1,000,000 loop rounds and calls"),
    # "internal error: RecursionError"
    "a-macro-calling-itself": ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
                               "a macro or a recursive loop calls itself without end"),
}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    store = tmp_path / "shop"
    assert kehu("init", str(store)).code == 0
    added = kehu("customer", "add", "--name", "李雷", "--email", "lilei@example.com", "--tag", "茶",
                 "--tag", "书法", store=store)
    assert added.code == 0, added.err
    (store / "templates").mkdir()
    (store / "templates" / "fine.j2").write_text(
        "Subject: 你好 {{ name }}\n\n{{ name }}您好"
        "{% for tag in tags %} {{ loop.index }}/{{ loop.length }} {{ tag }}{% endfor %}\n", encoding="utf-8")
    return store


@pytest.mark.parametrize(("text", "said"), GREEDY_TEMPLATES.values(), ids=GREEDY_TEMPLATES.keys())
def test_a_template_asking_for_without_end_is_refused_at_its_line(shop: Path, text: str, said: str) -> None:
    """The seventh round bounded a template's ``*`` and ``**``; a template has many other ways
    to ask for much (a filter's width, ``~``, ``|replace``, ``|join``, a loop in a loop, a
    macro calling itself), and `kehu send` (``--dry-run`` too) took gigabytes, ran for ever or
    ended in "internal error". Each is now a template error at the template's line, with
    nothing sent or written, and a template that asks for little renders as before."""
    (shop / "templates" / "greedy.j2").write_text(f"Subject: 你好\n{text}\n", encoding="utf-8")
    before = tree_hash(shop)
    try:
        result = kehu_subprocess("send", "--segment", "all", "--template", "greedy", "--dry-run",
                                 store=shop, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("kehu send was still rendering the template after two minutes")
    assert result.returncode == 1, (result.stdout[:300], result.stderr[:300])
    assert "greedy.j2:2: template error: " in result.stderr and said in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert tree_hash(shop) == before
    fine = kehu("send", "--segment", "all", "--template", "fine", "--dry-run", store=shop)
    assert fine.code == 0, fine.err
    assert "李雷您好 1/2 茶 2/2 书法" in fine.out, fine.out


# --- kind 9: a plugin's fields whose type cannot take its own default --------------------------

PLUGIN_FIELDS = {
    # `(str, None)` for a field left empty, where `str | None` is meant: the likeliest slip
    "a-default-of-none-for-text": (
        {"wechat": (str, None)}, "field 'wechat': its default None is refused by its own type"),
    "a-default-of-text-for-a-number": (
        {"visits": (int, "x")}, "field 'visits': its default 'x' is refused by its own type"),
    # a type named by a text no module defines: pydantic builds the model, and fails on first use
    "a-type-named-by-a-text-nobody-defines": ({"wechat": ("NoSuchType", None)}, "name 'NoSuchType' is not defined"),
}


@pytest.mark.parametrize(("fields", "said"), PLUGIN_FIELDS.values(), ids=PLUGIN_FIELDS.keys())
def test_a_plugins_field_whose_type_cannot_take_its_default_is_the_plugins_failure(
        tmp_path: Path, fields: dict[str, Any], said: str) -> None:
    """``customer_fields`` returns ``{name: (type, default)}``; a default its own type refuses,
    or a type pydantic cannot resolve, passed the result's check, and then every `customer
    add`, import and new customer of the TUI ended in "internal error: ValidationError" (or
    PydanticUserError) while `kehu check` said ok. It is the plugin's wrong result, named, its
    fields left out, and kehu goes on."""

    class Fields:
        @hookimpl
        def customer_fields(self) -> dict[str, Any]:
            return fields

    store = make_store(tmp_path / "store", plugins={"fields": Fields()})
    cid = add_customer(store, name="赵敏")
    added = run_kehu(store, "customer", "add", "--name", "钱多多")
    assert added.code == 0, added.err
    assert "internal error" not in added.err and "Traceback" not in added.err
    assert "plugin 'fields' failed in customer_fields" in added.err and said in added.err, added.err
    shown = run_kehu(store, "customer", "show", added.out.strip().splitlines()[-1], "--json")
    assert shown.code == 0 and shown.json()["name"] == "钱多多", shown.err
    checked = run_kehu(store, "check")
    assert checked.code == 1 and said in checked.err + checked.out, checked.out + checked.err
    assert run_kehu(store, "customer", "set", cid, "level=A").code == 0


# --- kinds 2 and 7: a field's name made by hand (a colleague's commit) -------------------------

FIELD_NAMES = {
    # `customer show` printed a line of its own, as kehu's ("Tier  VIP"), and so did a CSV header
    "a-line-break": ('"x\\nTier                           VIP": 1', "U+000A", "x\\x0aTier"),
    # shown turned around (`exe.txt` read as `txt.exe`) in `show` and export headers
    "a-right-to-left-override": ('"\\u202eexe.txt": x', "U+202E", "\\u202eexe.txt"),
    # named by `check`, but with the ESC and BEL as they were: the terminal retitled
    "an-escape-sequence": ('"a\\e]0;owned\\a": y', "U+001B", "a\\x1b]0;owned\\x07"),
}


@pytest.mark.parametrize(("line", "code", "shown"), FIELD_NAMES.values(), ids=FIELD_NAMES.keys())
def test_a_fields_name_is_one_line_of_plain_text_and_never_reaches_the_terminal(
        shop: Path, tmp_path: Path, line: str, code: str, shown: str) -> None:
    """A field's name holding a line break or a direction control passed `kehu check` and
    every door (a value holding one is refused in a one-line field), so `customer show` drew a
    line of the name's choosing and exports wrote it as a header; one holding ESC was named by
    `check` with the ESC printed as it was. Now each is a problem at its line, the name shown
    escaped, and no control character reaches the output."""
    profile = next(shop.glob("customers/*/*/customer.yaml"))
    cid = profile.parent.name
    profile.write_text(profile.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    checked = kehu("check", store=shop)
    assert checked.code == 1, checked.out + checked.err
    said = checked.out + checked.err
    assert f"customer.yaml:{len(profile.read_text(encoding='utf-8').splitlines())}: " in said, said
    assert code in said and shown in said, said
    assert not any(c in said for c in "\x1b\x07\u202e"), said
    show = kehu("customer", "show", cid, store=shop)
    assert show.code == 1 and "Tier                           VIP" not in show.out, show.out
    out = tmp_path / "out.csv"
    assert kehu("export", "--format", "csv", str(out), store=shop).code == 0
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert not any(c in header for c in "\x1b\u202e") and "Tier" not in header, header
    other = kehu("customer", "add", "--name", "钱多多", store=shop).out.strip()
    refused = kehu("customer", "set", other, "a\u202eb=1", store=shop)
    assert refused.code == 2 and "\u202e" not in refused.err, refused.err  # refused as typed already


# --- kind 9: plugins changing what they were given ---------------------------------------------


class _Meddler:
    """Changes everything it is given: the purchase's amount, the customer's name, a ledger's
    entries (taken out, as a rule that "consumes" the list would)."""

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        if getattr(interaction, "amount", None) is not None:
            interaction.amount = Decimal("1000000")
        customer.name = "篡改"

    @hookimpl
    def validate_ledger(self, store: Any, customer_id: str, ledger: str,
                        entries: list[dict[str, Any]]) -> list[tuple[int, str]] | None:
        entries.clear()
        return None

    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> list[str] | None:
        customer.tier_override = None
        return None


def test_a_plugin_changing_what_it_was_given_changes_nothing_else(tmp_path: Path) -> None:
    """Every plugin got the very objects kehu and the other plugins go on with: a plugin setting
    a purchase's amount to 1 000 000 in ``interaction_saved`` made the points plugin award a
    million points for a ¥100 sale (`purchase add` printing "¥1000000 recorded"), and one that
    emptied the entries given to ``validate_ledger`` hid a redemption of points never held from
    the points plugin's rule, so `kehu check` said ok (and `kehu sync` would push it). Each
    implementation now gets its own copy of what it acts on or checks."""
    store = make_store(tmp_path / "store", plugins={"meddler": _Meddler()})
    cid = add_customer(store, name="赵敏")
    sold = run_kehu(store, "purchase", "add", cid, "--item", "茶", "--price", "100", "--date", "2026-11-01")
    assert sold.code == 0, sold.err
    assert "¥100.00 recorded" in sold.out + sold.err and "1000000" not in sold.out + sold.err
    points = run_kehu(store, "points", "show", cid, "--json")
    assert points.json()["balance"] == 100, points.out
    assert run_kehu(store, "customer", "show", cid, "--json").json()["name"] == "赵敏"
    ledger = store.ledger_file(cid, "points")
    ledger.write_text(ledger.read_text(encoding="utf-8")
                      + "- {id: by0hand001, date: 2026-11-02, reason: redeem, delta: -500}\n", encoding="utf-8")
    checked = run_kehu(store, "check")
    assert checked.code == 1, checked.out + checked.err
    assert "points.ledger.yaml:3:" in checked.out and "(plugin points)" in checked.out, checked.out
    set_ = run_kehu(store, "customer", "set", cid, "tier_override=不存在的等级")
    assert set_.code == 1 and "tier_override" in set_.err, set_.err


# --- kind 5: `kehu undo` after a sync ------------------------------------------------------------

COLLEAGUES_RECORDS = {
    "a-purchase": (["purchase", "add", "{X}", "--item", "茶", "--price", "10", "--date", "2026-11-05"],
                   "interaction of a customer that has no customer.yaml"),
    "a-customer-they-referred": (["customer", "add", "--name", "钱多多", "--referrer", "{X}"], "referrer"),
}


@pytest.mark.parametrize(("argv", "said"), COLLEAGUES_RECORDS.values(), ids=COLLEAGUES_RECORDS.keys())
def test_undo_of_a_customer_a_colleague_has_added_to_since_is_refused(
        team: tuple[Path, Path, str], argv: list[str], said: str) -> None:  # noqa: F811
    """`kehu customer add` in one clone, synced; a colleague records a purchase of that customer
    (or a customer they referred) and syncs; the first clone syncs and runs `kehu undo`: the
    undo took back the customer's creation (its profile unchanged), exit 0, and left the
    colleague's purchase without a profile (or their customer naming nobody as referrer), which
    `kehu check` then rejected and `kehu sync` refused. An undo that would bring what `check`
    rejects is refused, nothing undone."""
    a, b, _cid = team
    new = kehu("customer", "add", "--name", "新客户", store=a)
    assert new.code == 0, new.err
    x = new.out.strip()
    sync(a)
    sync(b)
    assert kehu(*[part.replace("{X}", x) for part in argv], store=b).code == 0
    sync(b)
    sync(a)
    before = work_hash(a)
    undone = kehu("undo", store=a)
    assert undone.code == 1, undone.out + undone.err
    assert "cannot undo" in undone.err and said in undone.err and "Nothing was undone" in undone.err, undone.err
    assert work_hash(a) == before
    assert kehu("check", store=a).code == 0
    assert "新客户" in kehu("undo", "--list", store=a).out.splitlines()[0]  # still the change in effect


# --- kind 9: a plugin's settings model failing on the settings -----------------------------------

SETTINGS_FAILURES = {
    "raising": (lambda: {}["nope"], "KeyError: 'nope'"),  # "internal error: KeyError" on every command
    "calling-sys-exit": (lambda: sys.exit(3), "sys.exit(3)"),  # every command ended with exit 3, no word
}


@pytest.mark.parametrize(("fail", "said"), SETTINGS_FAILURES.values(), ids=SETTINGS_FAILURES.keys())
def test_a_plugins_settings_model_failing_on_its_settings_is_named_at_its_section(
        tmp_path: Path, fail: Any, said: str) -> None:
    """The model a plugin gives for its settings (``settings_model``) is the plugin's code: a
    validator that raised KeyError, instead of refusing the value, ended every command in
    "internal error: KeyError", and one calling `sys.exit(3)` ended every command with exit 3
    and no word. Each is said as settings that cannot be read, at the plugin's section of
    kehu.yaml with the plugin named, exit 1, as settings its model refuses are."""

    class Settings(BaseModel):
        level: int = 0

        @field_validator("level")
        @classmethod
        def _level(cls, value: int) -> int:
            fail()
            return value

    class Configured:
        @hookimpl
        def settings_model(self) -> type[BaseModel]:
            return Settings

    store = make_store(tmp_path / "store", plugins={"configured": Configured()})
    cid = add_customer(store, name="赵敏")
    configure(store.root, configured={"level": 5})
    line = (store.root / "kehu.yaml").read_text(encoding="utf-8").splitlines().index("  configured:") + 1
    for argv in (["check"], ["customer", "show", cid], ["customer", "list"]):
        result = run_kehu(store, *argv)
        assert result.code == 1, (argv, result.err)
        assert f"kehu.yaml:{line}: plugins.configured: the settings model of plugin 'configured' failed" in result.err
        assert said in result.err and "internal error" not in result.err, result.err


def _picky(value: Any) -> Any:
    if value == "raise":
        return {}["nope"]
    if value == "exit":
        sys.exit(4)
    return value


@pytest.mark.parametrize(("value", "said"), [("raise", "KeyError: 'nope'"), ("exit", "sys.exit(4)")])
def test_a_plugins_field_type_failing_on_a_value_is_that_fields_problem(tmp_path: Path, value: str, said: str) -> None:
    """A plugin's field type is the plugin's code, run on whatever a profile holds: one whose
    validator raised KeyError (or called sys.exit) on a value a colleague wrote, instead of
    refusing it, ended `kehu check`, `customer list`, `show` and every write in "internal
    error" (or exit 4 and no word): one customer's value took down the whole store. It is now
    that field's problem at its line, naming the plugin, and the other customers list."""

    class Typed:
        @hookimpl
        def customer_fields(self) -> dict[str, Any]:
            return {"wechat": (Annotated[str | None, AfterValidator(_picky)], None)}

    store = make_store(tmp_path / "store", plugins={"typed": Typed()})
    cid = add_customer(store, name="赵敏")
    add_customer(store, name="钱多多")
    profile = store.customer_file(cid)
    profile.write_text(profile.read_text(encoding="utf-8") + f"wechat: {value}\n", encoding="utf-8")
    line = len(profile.read_text(encoding="utf-8").splitlines())
    problem = f"customer.yaml:{line}: wechat: the field type of plugin 'typed' failed on this value ({said})"
    checked = run_kehu(store, "check")
    assert checked.code == 1 and problem in checked.out, checked.out + checked.err
    listed = run_kehu(store, "customer", "list")
    assert listed.code == 0 and "钱多多" in listed.out and "1 customer is not listed" in listed.err, listed.err
    for argv in (["customer", "show", cid], ["customer", "set", cid, "level=A"]):
        result = run_kehu(store, *argv)
        assert result.code == 1 and problem in result.err, (argv, result.err)
    added = run_kehu(store, "customer", "add", "--name", "孙", "--set", f"wechat={value}")
    assert added.code == 1 and "internal error" not in added.err and said in added.err, added.err


@pytest.mark.parametrize("key", ["note\nTier                           VIP", "\u202eexe.txt", "a\u200bb"])
def test_a_plugins_value_named_by_more_than_one_line_of_plain_text_is_its_failure(tmp_path: Path, key: str) -> None:
    """A value's name is the label of its line in `customer show` and the TUI: a plugin whose
    ``customer_values`` named one with a line break drew a line of its choosing among kehu's
    (``Tier  VIP``), and a direction control turned the label around, exit 0. It is the
    plugin's wrong result, named, its values left out."""

    class Labels:
        @hookimpl
        def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
            return {key: 1}

    store = make_store(tmp_path / "store", plugins={"labels": Labels()})
    cid = add_customer(store, name="赵敏")
    shown = run_kehu(store, "customer", "show", cid)
    assert shown.code == 0, shown.err
    assert "plugin 'labels' failed in customer_values" in shown.err and "one line of plain text" in shown.err
    assert "VIP" not in shown.out and "\u202e" not in shown.out + shown.err and "\u200b" not in shown.out
    assert "赵敏" in shown.out


CONTACTS_OF_THE_WRONG_SHAPE = {
    "fields-a-list": (lambda: ImportedContact("x.weird:1", ["name"]), "fields is ['name']"),  # type: ignore[arg-type]
    "purchases-a-dict": (lambda: ImportedContact("x.weird:1", {"name": "钱"}, purchases={"amount": 5}),  # type: ignore[arg-type]
                         "purchases is {'amount': 5}"),
    "a-purchase-a-number": (lambda: ImportedContact("x.weird:1", {"name": "钱"}, purchases=[5]),  # type: ignore[list-item]
                            "purchases is [5]"),
    "extra-a-list": (lambda: ImportedContact("x.weird:1", {"name": "钱"}, extra=[1]), "extra is [1]"),  # type: ignore[arg-type]
    "a-field-named-by-a-number": (lambda: ImportedContact("x.weird:1", {"name": "钱", 5: "x"}), "fields is"),
}


@pytest.mark.parametrize(("make", "said"), CONTACTS_OF_THE_WRONG_SHAPE.values(), ids=CONTACTS_OF_THE_WRONG_SHAPE.keys())
def test_a_contact_of_the_wrong_shape_from_a_plugins_importer_is_its_failure(
        tmp_path: Path, make: Any, said: str) -> None:
    """A plugin's importer gives contacts (``ImportedContact``: fields and extra a dict by name,
    purchases a list of such dicts); one whose parts were of another type (a list for fields, a
    dict for purchases, a field named by a number) ended `kehu import` in "internal error:
    AttributeError" (or TypeError). It is the importer's failure, named, nothing of the file
    imported."""

    class Weird:
        name = "weird"

        def detect(self, path: Path, head: bytes) -> bool:
            return path.suffix == ".weird"

        def read(self, path: Path, store: Any) -> list[ImportedContact]:
            return [make()]

    class Importing:
        @hookimpl
        def importers(self) -> list[Any]:
            return [Weird()]

    store = make_store(tmp_path / "store", plugins={"importing": Importing()})
    sheet = tmp_path / "x.weird"
    sheet.write_text("x", encoding="utf-8")
    result = run_kehu(store, "import", sheet)
    assert result.code == 1, result.out + result.err
    assert "internal error" not in result.err and "the 'weird' importer (a plugin's) failed: gave a contact whose " \
        in result.err and said in result.err, result.err
    assert run_kehu(store, "customer", "list", "--json").json() == []
