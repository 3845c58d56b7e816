"""docs/reference/hooks.md: generated from kehu_core/hookspecs.py, complete and up to date, in
the site's nav and linked from the plugin guide."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest
import yaml

from kehu_core import hookspecs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import gen_docs  # noqa: E402
import gen_hook_docs  # noqa: E402

HOOKS_MD = ROOT / "docs" / "reference" / "hooks.md"


def hooks() -> list[str]:
    """Every hook pluggy knows from kehu_core.hookspecs (not what the generator found)."""
    return [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "kehu_spec")]


def section(text: str, hook: str) -> str:
    heading = f"### `{hook}`\n"
    assert heading in text, f"docs/reference/hooks.md has no section for the hook {hook!r}: run scripts/gen_docs.py"
    return text.split(heading, 1)[1].split("\n### ", 1)[0]


def test_the_page_is_what_the_generator_writes() -> None:
    expected = gen_hook_docs.render_hooks()
    actual = HOOKS_MD.read_text(encoding="utf-8") if HOOKS_MD.is_file() else ""
    assert actual == expected, "docs/reference/hooks.md is out of date: run .venv/bin/python scripts/gen_docs.py"


def test_gen_docs_writes_the_hook_reference_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gen_hook_docs, "HOOKS_MD", tmp_path / "hooks.md")
    monkeypatch.setattr(gen_docs, "CLI_MD", tmp_path / "cli.md")
    assert gen_docs.main([]) == 0
    assert (tmp_path / "hooks.md").read_text(encoding="utf-8") == gen_hook_docs.render_hooks()
    assert gen_docs.main(["--check"]) == 0
    (tmp_path / "hooks.md").write_text("# stale\n", encoding="utf-8")
    assert gen_docs.main(["--check"]) == 1


@pytest.mark.parametrize("hook", hooks())
def test_every_hook_has_its_signature_and_docstring(hook: str) -> None:
    text = section(HOOKS_MD.read_text(encoding="utf-8"), hook)
    fn = getattr(hookspecs, hook)
    params = inspect.signature(fn).parameters
    assert f"def {hook}(" in text
    for name in params:
        assert f"{name}:" in text.split("```", 2)[1], f"{hook}: argument {name} missing from the signature"
    first_line = inspect.getdoc(fn).splitlines()[0]
    assert gen_hook_docs.markdown(first_line) in text
    assert f"[`{hook}`](#{hook})" in HOOKS_MD.read_text(encoding="utf-8"), f"{hook}: not in the summary table"


def test_no_hook_is_documented_that_does_not_exist() -> None:
    text = HOOKS_MD.read_text(encoding="utf-8")
    hooks_part = text.split("## Hooks", 1)[1].split("## What hooks hand back", 1)[0]
    documented = {line[len("### `"):-1] for line in hooks_part.splitlines() if line.startswith("### `")}
    assert documented == set(hooks())


def test_the_reminder_rule_members_are_documented() -> None:
    text = section(HOOKS_MD.read_text(encoding="utf-8"), "ReminderRule")
    for member in ("name: str", "plugin: str", "outreach: bool", "history_needs:", "due(store: Store"):
        assert f"- `{member}" in text, member


def test_the_page_is_in_the_nav_and_linked_from_the_plugin_guide() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    reference = next(item["Reference"] for item in config["nav"] if isinstance(item, dict) and "Reference" in item)
    assert any("reference/hooks.md" in entry.values() for entry in reference)
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert "(reference/hooks.md)" in guide
    assert "## Testing your plugin" in guide and "kehu_core.testing" in guide
