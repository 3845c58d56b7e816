"""The plugin host: discovery, enabling, failures, and the README's example plugin installed
for real (pip into a folder, found through its entry point)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.plugins import Column, ImportedContact, Panel, PluginHost
from kehu_core.reminder_engine import due_reminders
from kehu_core.services import outreach_channels
from kehu_core.services.importing import import_files
from kehu_core.store import open_store

from .conftest import ROOT, TODAY, kehu
from .pluginutil import add_customer, buy, configure

EXAMPLE = ROOT / "plugins" / "example"
BUILTIN = {"tiering", "points", "reminders"}


class Broken:
    """A plugin that raises in every hook it implements."""

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        raise RuntimeError("boom in values")

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        raise RuntimeError("boom on save")

    @hookimpl
    def reminder_rules(self, store: Any) -> list[Any]:
        class Rule:
            name = "broken-rule"
            plugin = "broken"

            def due(self, *args: Any) -> list[Any]:
                raise ValueError("bad rule")

        return [Rule()]

    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> list[str]:
        raise RuntimeError("boom in check")


def test_builtin_plugins_come_through_entry_points(store_path: Path) -> None:
    result = kehu("plugins", "--json", store=store_path)
    assert result.code == 0, result.err
    listing = {p["name"]: p for p in result.json()}
    assert set(listing) >= BUILTIN
    assert listing["points"]["module"] == "kehu_plugins.points"
    assert {"interaction_saved", "customer_values", "register_commands"} <= set(listing["points"]["hooks"])
    assert "reminder_rules" in listing["reminders"]["hooks"]
    assert {"customer_fields", "validate_customer"} <= set(listing["tiering"]["hooks"])


def test_kehu_yaml_enables_only_what_it_lists(store_path: Path) -> None:
    configure(store_path, enabled=["tiering"])
    names = [p["name"] for p in kehu("plugins", "--json", store=store_path).json()]
    assert names == ["tiering"]
    shown = kehu("plugins", store=store_path)
    assert "disabled in kehu.yaml:" in shown.err and "points" in shown.err


def test_a_raising_plugin_is_named_and_breaks_nothing_else(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    store = open_store(store_path)
    assert store.plugins is not None
    store.plugins.register(Broken(), "broken")
    today = TODAY
    store.add_interaction(cid, {"kind": "purchase", "date": today, "amount": 100, "paid": True})
    # the purchase is on disk, the other plugins still did their work
    assert [i.kind for i in store.interactions(cid)] == ["purchase"]
    assert store.ledger(cid, "points")[0]["delta"] == 100
    values = store.plugins.values(store, store.get(cid))
    assert values["points"] == 100 and "tier" in values
    reminders = due_reminders(store, today, today + dt.timedelta(days=3))
    assert {r.rule for r in reminders} >= {"greeting"}
    failures = {(f.plugin, f.hook) for f in store.plugins.failures}
    assert {("broken", "customer_values"), ("broken", "interaction_saved"),
            ("broken", "reminder rule broken-rule")} <= failures
    from kehu_core.services.checking import check_store

    problems = [p.message for p in check_store(store)]
    assert any("plugin 'broken' failed in validate_customer" in m for m in problems)


def test_failures_are_printed_once_not_once_per_customer(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(5):
        add_customer(store_path, f"客户{i}")
    store = open_store(store_path)
    store.plugins.register(Broken(), "broken")
    capsys.readouterr()
    for row in store.index.list():
        store.plugins.values(store, row.customer)
    err = capsys.readouterr().err
    assert err.count("plugin 'broken' failed in customer_values") == 1
    assert len([f for f in store.plugins.failures if f.hook == "customer_values"]) >= 5


def test_plugin_with_a_misspelled_hook_is_refused_and_reported(store_path: Path) -> None:
    class Typo:
        @hookimpl
        def customer_value(self, store: Any, customer: Any) -> dict[str, Any]:
            return {}

    store = open_store(store_path)
    assert store.plugins.register(Typo(), "typo") is False
    assert "typo" not in store.plugins.names()
    assert store.plugins.failures[-1].plugin == "typo"


def test_a_plugin_asking_for_values_inside_values_does_not_recurse(store_path: Path) -> None:
    class Curious:
        @hookimpl
        def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
            return {"tier_twice": store.plugins.values(store, customer).get("tier")}

    cid = add_customer(store_path, "赵敏")
    store = open_store(store_path)
    store.plugins.register(Curious(), "curious")
    values = store.plugins.values(store, store.get(cid))
    assert values["tier_twice"] == values["tier"]


def test_columns_and_panels_of_the_builtin_plugins(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 300, TODAY.isoformat())
    store = open_store(store_path)
    customer = store.get(cid)
    columns = store.plugins.collect("tui_columns", store=store)
    assert all(isinstance(c, Column) for c in columns)
    cells = {c.key: c.value(store, customer) for c in columns}
    assert cells["tier"] == store.plugins.values(store, customer)["tier"]
    assert "greeting after a purchase" in cells["next_reminder"]
    panels = store.plugins.collect("tui_panels", store=store)
    assert all(isinstance(p, Panel) for p in panels)
    points = next(p for p in panels if "Points" in p.title)
    assert "balance 300" in points.render(store, customer)


def test_importer_exporter_and_sender_hooks(store_path: Path, tmp_path: Path) -> None:
    class Pipe:
        name = "pipe"

        def detect(self, path: Path, head: bytes) -> bool:
            return path.suffix == ".pipe"

        def read(self, path: Path, store: Any) -> list[ImportedContact]:
            out = []
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                name, phone = line.split("|")
                out.append(ImportedContact(f"{path}:{n}", {"name": name, "phones": [phone]}))
            return out

    class Names:
        name = "names"

        def write(self, store: Any, customers: list[Any], out: Path) -> int:
            out.write_text("\n".join(c.name for c in customers), encoding="utf-8")
            return len(customers)

    class Pigeon:
        channel = "pigeon"

        def send(self, store: Any, customer: Any, subject: str, body: str) -> str:
            return f"pigeon-{customer.id}"

    class Formats:
        @hookimpl
        def importers(self) -> list[Any]:
            return [Pipe()]

        @hookimpl
        def exporters(self) -> list[Any]:
            return [Names()]

        @hookimpl
        def message_senders(self, store: Any) -> list[Any]:
            return [Pigeon()]

    source = tmp_path / "contacts.pipe"
    source.write_text("赵敏|13912345678\n钱多多|13800138000\n", encoding="utf-8")
    store = open_store(store_path)
    store.plugins.register(Formats(), "formats")
    import_files(store, [source])
    names = sorted(r.customer.name for r in store.index.list())
    assert names == ["赵敏", "钱多多"]
    exporter = store.plugins.collect("exporters")[0]
    out = tmp_path / "names.txt"
    customers = [r.customer for r in store.index.list()]
    assert exporter.write(store, customers, out) == 2
    assert set(out.read_text(encoding="utf-8").splitlines()) == {"赵敏", "钱多多"}
    senders = outreach_channels.plugin_senders(store)
    assert senders["pigeon"].send(store, customers[0], "hi", "body") == f"pigeon-{customers[0].id}"


def test_host_without_store_lists_installed_plugins() -> None:
    from kehu_core.config import PluginSettings

    host = PluginHost(PluginSettings(disabled=["points"]))
    assert "points" not in host.names() and "points" in host.disabled
    assert BUILTIN - {"points"} <= set(host.names())


@pytest.fixture(scope="module")
def example_installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The authoring guide's example, pip-installed into its own folder (offline)."""
    work = tmp_path_factory.mktemp("example")
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    target = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(source)],
        check=True, capture_output=True, text=True,
    )
    return target


def run_with(site: Path, store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), *args],
                          capture_output=True, text=True, env=env)


def test_the_readme_example_plugin_installs_and_works(example_installed: Path, store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    first = TODAY - dt.timedelta(days=2 * 365)
    buy(store_path, cid, 300, first.isoformat(), "--paid")

    listing = json.loads(run_with(example_installed, store_path, "plugins", "--json").stdout)
    hooks = {p["name"]: p["hooks"] for p in listing}
    assert set(hooks["anniversary"]) == {
        "customer_fields", "validate_customer", "customer_values", "reminder_rules",
        "register_commands", "tui_columns", "settings_model",
    }
    assert run_with(example_installed, store_path, "customer", "set", cid, "wechat=zm_1990").returncode == 0
    shown = json.loads(run_with(example_installed, store_path, "wechat", cid).stdout)
    assert shown == {"wechat": "zm_1990", "customer_years": 2}
    today = TODAY.isoformat()
    due = json.loads(run_with(example_installed, store_path, "reminders", "--from", today,
                              "--days", "1", "--rule", "anniversary", "--json").stdout)
    assert [r["title"] for r in due] == ["成为客户 2 周年"]

    bad = run_with(example_installed, store_path, "customer", "set", cid, "wechat=1x")
    assert bad.returncode == 1 and "(plugin anniversary)" in bad.stderr  # the plugin's rule holds when written
    profile = open_store(store_path).customer_file(cid)
    assert "wechat: zm_1990" in profile.read_text(encoding="utf-8")
    # a hand edit breaking the rule: `kehu check` names it; the file is kept as it is
    profile.write_text(profile.read_text(encoding="utf-8").replace("wechat: zm_1990", "wechat: 1x"),
                       encoding="utf-8")
    check = run_with(example_installed, store_path, "check")
    assert check.returncode == 1 and "wechat: '1x'" in check.stdout and "(plugin anniversary)" in check.stdout
    assert "wechat: 1x" in profile.read_text(encoding="utf-8")
    # its settings, declared (settings_model): a bad one is named at its kehu.yaml line
    config = store_path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8").rstrip("\n") + "\n  anniversary:\n    min_years: 500\n",
                      encoding="utf-8")
    line = len(config.read_text(encoding="utf-8").splitlines())
    check = run_with(example_installed, store_path, "check")
    said = f"{config}:{line}: plugins.anniversary.min_years: Input should be less than or equal to 200"
    assert check.returncode == 1 and said in check.stdout + check.stderr, (check.stdout, check.stderr)


def test_the_example_plugins_reminders_skip_do_not_contact_customers(
    example_installed: Path, store_path: Path
) -> None:
    # the engine's rule, not the plugin's: the example's AnniversaryRule knows nothing of it
    first = (TODAY - dt.timedelta(days=2 * 365)).isoformat()
    quiet = add_customer(store_path, "赵敏")
    loud = add_customer(store_path, "钱多多")
    for cid in (quiet, loud):
        buy(store_path, cid, 300, first, "--paid")
    assert kehu("customer", "set", quiet, "do_not_contact=true", store=store_path).code == 0
    due = json.loads(run_with(example_installed, store_path, "reminders", "--from", TODAY.isoformat(),
                              "--days", "1", "--rule", "anniversary", "--json").stdout)
    assert [(r["customer_id"], r["title"]) for r in due] == [(loud, "成为客户 2 周年")]
    shown = json.loads(run_with(example_installed, store_path, "customer", "show", quiet, "--json").stdout)
    assert shown["customer_years"] == 2 and shown["next_reminder"] is None


def _valued(key: str, value: str, field: str) -> Any:
    class Plugin:
        @hookimpl
        def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
            return {key: value}

        @hookimpl
        def customer_fields(self) -> dict[str, tuple[Any, Any]]:
            return {field: (str, value)}

    return Plugin()


def test_on_a_key_clash_the_plugin_registered_last_wins(store_path: Path) -> None:
    # as the customer_values and customer_fields hookspecs say
    cid = add_customer(store_path, "赵敏")
    store = open_store(store_path)
    assert store.plugins.register(_valued("tier", "first", "house"), name="first")
    assert store.plugins.register(_valued("tier", "second", "house"), name="second")
    values = store.plugins.values(store, store.get(cid))
    assert values["tier"] == "second"
    assert store.plugins.customer_model.model_fields["house"].default == "second"


def test_a_plugin_installed_or_removed_is_seen_at_once_though_entry_points_are_kept(
    example_installed: Path, store_path: Path, tmp_path: Path
) -> None:
    """Entry points are read once per environment and kept in the user's cache folder (issue
    15): a plugin installed or uninstalled afterwards is seen by the very next command."""
    site = tmp_path / "site"
    shutil.copytree(example_installed, site)
    cache = tmp_path / "cache"

    def names(*, with_site: bool) -> list[str]:
        env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
        if with_site:
            env["PYTHONPATH"] = str(site)
        result = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store_path), "plugins", "--json"],
                                capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr
        return [p["name"] for p in json.loads(result.stdout)]

    assert "anniversary" not in names(with_site=False)
    assert list(cache.glob("kehu/entry-points-*.json")), "the entry points were not kept"
    assert "anniversary" in names(with_site=True)
    assert "anniversary" in names(with_site=True)  # from what was kept
    dist_info = next(site.glob("*.dist-info"))
    moved = tmp_path / dist_info.name
    dist_info.rename(moved)  # uninstalled (the package's modules left behind, as pip may)
    assert "anniversary" not in names(with_site=True)
    moved.rename(dist_info)  # installed again
    assert "anniversary" in names(with_site=True)


def test_a_pydantic_plugin_installed_beside_kehu_still_sees_kehus_models(tmp_path: Path, store_path: Path) -> None:
    """kehu tells pydantic it has no plugins only when none is installed (entry points kept,
    issue 15); an installed pydantic plugin is still loaded and sees kehu's validations."""
    site = tmp_path / "site"
    (site / "seeing_plugin").mkdir(parents=True)
    seen = tmp_path / "seen.txt"
    (site / "seeing_plugin" / "__init__.py").write_text(
        "import os\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, schema, schema_type, schema_type_path, schema_kind,\n"
        "                             config, plugin_settings):\n"
        "        with open(os.environ['SEEN_FILE'], 'a') as f:\n"
        "            f.write(schema_type_path.name + '\\n')\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n", encoding="utf-8")
    dist = site / "seeing_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: seeing-plugin\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[pydantic]\nseeing = seeing_plugin:plugin\n", encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "SEEN_FILE": str(seen)}
    for with_plugin in (False, True):  # the cache made without it first: installing it is seen
        if with_plugin:
            env["PYTHONPATH"] = str(site)
        result = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store_path),
                                 "customer", "add", "--name", "赵敏", "--phone", f"1391234567{int(with_plugin)}"],
                                capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr
        assert seen.exists() == with_plugin
    assert "StoreConfig" in seen.read_text(encoding="utf-8").split()
