"""Every hook is documented and has a test of its own: adding a hook without both fails here."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from kehu_core import hookspecs

TESTS = Path(__file__).parent

#: hook → the test that exercises it through a real store ("file.py::test_name")
HOOK_TESTS = {
    "customer_fields": "test_plugin_host.py::test_the_readme_example_plugin_installs_and_works",
    "settings_model": "test_plugin_settings.py::test_settings_model_checks_a_section_at_open_and_in_check",
    "validate_customer": "test_tiering.py::test_unknown_tier_is_refused_and_flagged_by_check",
    "kept_customer_fields":
        "test_hostile_fifteenth_fifteenthd.py::test_kept_customer_fields_keeps_a_plugins_field_as_it_says",
    "validate_ledger": "test_points.py::test_points_spent_twice_are_a_problem_a_void_or_a_lapse_is_not",
    "validate_ledger_line":
        "test_hostile_twentyfirst_twentyfirstb.py::test_a_plugins_line_rule_is_asked_of_a_new_line_and_its_ledger_rule_by_check",
    "customer_values": "test_tiering.py::test_customer_list_filters_by_tier_and_show_has_tier",
    "tier_names": "test_segments.py::test_tier_condition_uses_plugin_values",
    "customer_values_many": "test_reminders_batch.py::test_values_many_asks_a_batch_once_else_per_customer",
    "customer_value_figures": "test_values_after_a_write.py::test_a_sale_computes_again_the_tiers_it_moved",
    "interaction_saved": "test_points.py::test_referrer_gets_a_bonus_on_the_first_purchase_only",
    "reminder_rules": "test_reminders.py::test_greeting_two_days_and_survey_seven_days_after_a_purchase",
    "register_commands": "test_plugin_host.py::test_the_readme_example_plugin_installs_and_works",
    "tui_columns": "test_plugin_host.py::test_columns_and_panels_of_the_builtin_plugins",
    "tui_panels": "test_plugin_host.py::test_columns_and_panels_of_the_builtin_plugins",
    "importers": "test_plugin_host.py::test_importer_exporter_and_sender_hooks",
    "exporters": "test_plugin_host.py::test_importer_exporter_and_sender_hooks",
    "message_senders": "test_plugin_host.py::test_importer_exporter_and_sender_hooks",
}


def hook_names() -> list[str]:
    return sorted(
        name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "kehu_spec")
    )


def test_every_hook_has_a_registered_test() -> None:
    assert hook_names(), "no hookspecs found"
    assert set(hook_names()) == set(HOOK_TESTS), "add the new hook and its test to HOOK_TESTS"


@pytest.mark.parametrize("hook", hook_names())
def test_hook_is_documented(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert len(doc) > 80, f"{hook}: document what it receives and returns"
    assert "None" in doc, f"{hook}: say what a None result means"


@pytest.mark.parametrize("hook", hook_names())
def test_hook_test_exists_and_mentions_the_hook_or_its_effect(hook: str) -> None:
    filename, test_name = HOOK_TESTS[hook].split("::")
    tree = ast.parse((TESTS / filename).read_text(encoding="utf-8"))
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert test_name in functions, f"{hook}: {HOOK_TESTS[hook]} does not exist"
