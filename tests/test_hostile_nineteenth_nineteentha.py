"""The nineteenth round (nineteentha): `kehu reminders` of a long list, its rules' guards set up
once for many customers and the plugins' values of a few customers asked at once; what a
plugin's rule or values do wrong is still its own failure, named, for every customer it does
it to. See docs/reliability.md."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kehu_core import hookimpl
from kehu_core.models import Reminder
from kehu_core.testing import make_store, run_kehu

#: more customers than the reminder engine runs a rule over at once (reminder_engine._RULES_CHUNK)
_MANY = 230


class _Unruly:
    """A plugin's reminder rule that, for each customer, prints to stdout and changes the working
    folder; yields a reminder of the wrong type for every seventh customer and raises for every
    eleventh; a good reminder for the others."""

    name = "unruly"

    def __init__(self, elsewhere: Path) -> None:
        self.elsewhere = elsewhere

    def due(self, store: Any, customer: Any, history: Any, start: Any, end: Any) -> Any:
        print("unruly: asked")
        os.chdir(self.elsewhere)
        number = int(customer.name.removeprefix("客户"))
        if number % 7 == 0:
            yield {"customer_id": customer.id, "title": "a dict"}
        elif number % 11 == 0:
            raise KeyError(customer.name)
        else:
            yield Reminder(customer_id=customer.id, customer_name=customer.name, due=start, rule=self.name,
                           title="回访", key=f"{self.name}:{customer.id}:{start}")

    @hookimpl
    def reminder_rules(self, store: Any) -> list[Any]:
        return [self]


def test_a_rule_wrong_for_some_customers_of_a_long_list_is_named_and_guarded_for_every_one(
        tmp_path: Path, monkeypatch: Any) -> None:
    """Each customer's reminders of a plugin's rule are its own: a wrong-typed reminder or a
    raise for some customers of a long list is the plugin's failure, named, their reminders of
    it left out, every other customer's listed; what it prints never reaches `--json`'s stdout,
    and the working folder it changes is put back (the `--ics` file named relative to it is
    written where the user runs kehu)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    here = tmp_path / "here"
    here.mkdir()
    store = make_store(tmp_path / "s", plugins={"unruly": _Unruly(elsewhere)},
                       customers=[{"name": f"客户{n}", "birthday": "1980-11-22"} for n in range(1, _MANY + 1)])
    monkeypatch.chdir(here)
    listed = run_kehu(store, "reminders", "--json", "--ics", "out.ics")
    assert listed.code == 0, listed.err
    reminders = json.loads(listed.out)  # JSON only: the rule's prints went to stderr
    assert "unruly: asked" in listed.err
    assert "plugin 'unruly' failed in reminder rule unruly: wrong result: yielded {'customer_id'" in listed.err, \
        listed.err
    assert "plugin 'unruly' failed in reminder rule unruly: KeyError: '客户11'" in listed.err, listed.err
    wrong = {n for n in range(1, _MANY + 1) if n % 7 == 0 or n % 11 == 0}
    theirs = sorted(int(r["customer_name"].removeprefix("客户")) for r in reminders if r["rule"] == "unruly")
    assert theirs == [n for n in range(1, _MANY + 1) if n not in wrong]
    # the built-in rules' reminders, every customer's, whatever the plugin's rule did before them
    assert len([r for r in reminders if r["rule"] == "birthday"]) == _MANY
    assert (here / "out.ics").is_file() and not (elsewhere / "out.ics").exists()
    assert Path.cwd() == here


class _Tiers:
    """A plugin giving every customer the tier 重要客户 (its values win over the built-in
    tiering plugin's, as the plugin registered last)."""

    values_scope = "customer"

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        return {"tier": "重要客户"}


class _WrongForMany(_Tiers):
    """The same, whose ``customer_values_many`` returns what no values are (a list)."""

    @hookimpl
    def customer_values_many(self, store: Any, customers: list[Any]) -> Any:
        return ["重要客户"]


def test_the_key_account_visit_reads_the_tier_a_plugin_gives_and_names_its_wrong_values(tmp_path: Path) -> None:
    """The key-account visit asks each customer's tier of the plugins, now for a few customers at
    once: a plugin's tier still wins over the built-in tiering plugin's, as in `customer show`,
    and a plugin whose values for a list are of the wrong type is named, its values per customer
    still read (every customer of a long list gets the visit of its tier)."""
    for many in (False, True):
        store = make_store(tmp_path / f"s{many}", plugins={"tiers": _WrongForMany() if many else _Tiers()},
                           customers=[{"name": f"客户{n}"} for n in range(1, _MANY + 1)])
        listed = run_kehu(store, "reminders", "--json", "--days", "60")
        assert listed.code == 0, listed.err
        visits = [r for r in json.loads(listed.out) if r["rule"] == "visit"]
        assert len(visits) == _MANY, (many, len(visits), listed.err)
        said = "plugin 'tiers' failed in customer_values_many: wrong result"
        assert (said in listed.err) == many, listed.err


class _OddPlugin:
    """A plugin's reminder rule whose ``plugin`` (the name it is reported by) is no text."""

    name = "odd"
    plugin = ["odd"]

    def due(self, store: Any, customer: Any, history: Any, start: Any, end: Any) -> Any:
        yield Reminder(customer_id=customer.id, customer_name=customer.name, due=start, rule=self.name,
                       title="回访", key=f"{self.name}:{customer.id}:{start}")

    @hookimpl
    def reminder_rules(self, store: Any) -> list[Any]:
        return [self]


def test_a_rule_naming_its_plugin_with_no_text_still_reminds(tmp_path: Path) -> None:
    """Which rules read other plugins' values is asked of each rule's plugin by the name the
    rule gives (``plugin``): a rule giving a list there ended `kehu reminders` in "internal
    error: unhashable type"; its reminders are listed as the others'."""
    store = make_store(tmp_path / "s", plugins={"odd": _OddPlugin()}, customers=[{"name": "赵敏"}])
    listed = run_kehu(store, "reminders", "--json")
    assert listed.code == 0, listed.err
    assert [r["rule"] for r in json.loads(listed.out)] == ["odd"], listed.out
