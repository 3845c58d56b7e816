"""Twentieth round (issue 16), twentiethb: `kehu reminders` faster, its outputs as they were."""

from __future__ import annotations

from pathlib import Path

from kehu_core.demo import generate

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
