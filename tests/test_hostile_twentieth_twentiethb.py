"""Twentieth round (issue 16), twentiethb: `kehu reminders` faster, its outputs as they were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kehu_core import hookimpl
from kehu_core.demo import generate
from kehu_core.models import Reminder
from kehu_core.testing import add_customer, make_store, run_kehu

from .conftest import kehu
from .test_startup import imported_modules, unwanted


def test_a_negative_amount_with_too_many_digits_is_refused_as_negative(tmp_path: Path) -> None:
    """Money's digits are now counted by pydantic-core (in Rust: a third of the parsing of the
    histories `kehu reminders` reads), which counts them before it asks `ge=0`; pydantic, in
    Python, asked `ge=0` first. A hand-edited purchase whose price is `-0.005` and amount
    `-123456789012345.5` is still refused as negative at each line, a quantity of 13 digits by
    its digits, as before."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "张三", store=store).out.strip()
    assert kehu("purchase", "add", cid, "--item", "茶", "--price", "5", "--qty", "2", store=store).code == 0
    (sale,) = (store / "customers").glob(f"*/{cid}/interactions/*.yaml")
    text = sale.read_text(encoding="utf-8").split("\n")
    for n, line in enumerate(text):
        for key, value in (("  qty: ", "1234567890123.5"), ("  price: ", "-0.005"), ("amount: ", "-123456789012345.5")):
            if line.startswith(key):
                text[n] = key + value
    sale.write_text("\n".join(text), encoding="utf-8")
    checked = kehu("check", store=store)
    assert checked.code == 1, checked.out
    said = {line.split(": ", 1)[1] for line in checked.out.splitlines() if line.startswith(str(sale))}
    assert said == {"items.0.qty: Decimal input should have no more than 12 digits in total",
                    "items.0.price: Input should be greater than or equal to 0",
                    "amount: Input should be greater than or equal to 0"}, checked.out


def test_a_plugin_command_imports_no_report_tables(tmp_path: Path) -> None:
    """A plugin's command (`kehu reminders`, `kehu tier`) made kehu look for the plugins'
    commands, and with them for a `register(cli)` in each module of kehu_core.cli missing from
    the command table: each was imported to ask, the reports' Rich tables and analytics among
    them (~70 ms of each such command). Now a module's text is read first and one that never
    says `register` is not imported."""
    store = tmp_path / "shop"
    generate(store, 20)
    for command, plugin in ((["reminders", "--json"], "reminders"), (["reminders"], "reminders"),
                            (["tier", "--json"], "tiering")):
        modules = imported_modules(*command, env={"KEHU_STORE": str(store)})
        assert f"kehu_plugins.{plugin}.cli" in modules, command  # (it ran the plugin's command)
        assert unwanted(modules, ["rich", "kehu_core.reports", "kehu_core.cli.lifecycle_cmds",
                                  "kehu_core.cli.review_cmds"]) == [], command


class _Meddling:
    """A plugin of two rules, the first clearing the history and renaming the customer."""

    class Clear:
        name, plugin = "clear", "meddler"

        def due(self, store: Any, customer: Any, history: list[Any], start: Any, end: Any) -> Any:
            history.clear()
            customer.name = "改了名"
            return iter(())

    class Quiet:
        name, plugin = "quiet", "meddler"

        def due(self, store: Any, customer: Any, history: list[Any], start: Any, end: Any) -> Any:
            return iter(())

    @hookimpl(tryfirst=True)  # asked before the others
    def reminder_rules(self, store: Any) -> list[Any]:
        return [self.Clear(), self.Quiet()]


class _Counting:
    """Another plugin's rule: says the customer's name and how long a history it was given."""

    class Count:
        name, plugin = "count", "counter"

        def due(self, store: Any, customer: Any, history: list[Any], start: Any, end: Any) -> Any:
            yield Reminder(customer_id=customer.id, customer_name=customer.name, due=start, rule="count",
                           title="count", key=f"count:{customer.id}:{start}", detail=f"{len(history)} records")

    @hookimpl(trylast=True)
    def reminder_rules(self, store: Any) -> list[Any]:
        return [self.Count()]


def test_a_plugins_rule_changing_what_it_was_given_is_seen_by_no_other_plugins_rule(tmp_path: Path) -> None:
    """A third party's rules are now given one copy of each customer and history for all of
    the plugin's rules, as a hook's call is (a copy for each rule of each customer was 93 % of
    `kehu reminders` with a plugin of 50 rules: 114 s of CPU at 10 000 customers). What one
    plugin's rule changes (a history cleared, the customer renamed) is still seen by no other
    plugin's rule and by none of kehu's: the other plugin is given the name and the two
    records as they are, and the built-in rules still find the overdue bill and the birthday."""
    store = make_store(tmp_path / "store", today="2026-12-01",
                       plugins={"meddler": _Meddling(), "counter": _Counting()})
    cid = add_customer(store, name="赵敏", birthday="1990-12-05")
    for day in ("2026-10-01", "2026-11-01"):
        bought = run_kehu(store, "purchase", "add", cid, "--amount", "100", "--date", day, "--due", "2026-11-15")
        assert bought.code == 0, bought.err
    listed = run_kehu(store, "reminders", "--days", "30", "--json")
    assert listed.code == 0, listed.err
    found = json.loads(listed.out)
    counted = [r for r in found if r["rule"] == "count"]
    assert [(r["customer_name"], r["detail"]) for r in counted] == [("赵敏", "2 records")], found
    assert {"overdue", "birthday"} <= {r["key"].split(":")[0] for r in found}, found
    assert "改了名" not in listed.out
