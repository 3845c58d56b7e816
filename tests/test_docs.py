"""The documentation: a short README with the set-up commands first, a Chinese twin, a site that
builds in strict mode (a broken link or anchor fails), and a CLI reference that names every
command and option of the code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import gen_docs  # noqa: E402

from kehu_core.cli.localize import is_help_option  # noqa: E402

README_LIMIT = 12 * 1024


def test_readme_is_short_and_starts_with_the_two_commands() -> None:
    readme = ROOT / "README.md"
    assert readme.stat().st_size <= README_LIMIT, f"README.md is {readme.stat().st_size} bytes; keep it ≤ 12 KB"
    text = readme.read_text(encoding="utf-8")
    first_block = text.split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands[:2] == ["make run", "make test"], first_block
    head = text[: text.index("```", text.index("```") + 3)]
    assert "installs and opens the TUI on the demo store" in head
    assert "installs and runs the whole suite" in head


def test_readme_in_chinese_exists_and_starts_with_the_two_commands() -> None:
    zh = ROOT / "README.zh-CN.md"
    assert zh.is_file()
    text = zh.read_text(encoding="utf-8")
    assert text.index("make run") < text.index("make test") < 400
    for word in ("客户档案", "客户资料卡", "回访", "投诉", "应收账款", "会员积分"):
        assert word in text, word


def _mkdocs() -> str:
    exe = Path(sys.executable).with_name("mkdocs")
    if exe.is_file():
        return str(exe)
    found = shutil.which("mkdocs")
    if not found:
        pytest.fail("mkdocs is not installed: it is in the test extra (pip install -e '.[test]')")
    return found


def test_site_builds_in_strict_mode(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [_mkdocs(), "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300,
    )
    warnings = [line for line in result.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert result.returncode == 0 and not warnings, result.stderr[-4000:]
    assert (tmp_path / "site" / "index.html").is_file()


def test_every_nav_page_exists_and_every_page_is_in_the_nav() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def pages(items):
        for item in items:
            for value in (item.values() if isinstance(item, dict) else [item]):
                if isinstance(value, list):
                    yield from pages(value)
                else:
                    yield value

    nav = set(pages(config["nav"]))
    docs = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert nav <= docs, f"in the nav but missing: {sorted(nav - docs)}"
    assert docs <= nav, f"pages not in the nav of mkdocs.yml (add them there): {sorted(docs - nav)}"


def test_cli_reference_names_every_command_and_option() -> None:
    text = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    missing = []
    for path, cmd in gen_docs.walk(gen_docs.root_command()):
        name = " ".join(path)
        if f"## `{name}`" not in text:
            missing.append(f"command {name}")
            continue
        section = text.split(f"## `{name}`\n", 1)[1].split("\n## `", 1)[0]
        for param in cmd.params:  # kehu's help option is in every command, not in the reference
            if isinstance(param, click.Option) and not param.hidden and not is_help_option(param):
                for opt in param.opts:
                    if opt not in section:
                        missing.append(f"{name} {opt}")
    assert not missing, f"docs/reference/cli.md lacks {missing}: run scripts/gen_docs.py"


def test_cli_reference_is_what_the_generator_writes() -> None:
    expected = gen_docs.render_cli()
    actual = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/reference/cli.md is out of date: run .venv/bin/python scripts/gen_docs.py"


def test_the_cli_reference_is_english_after_chinese_help_in_the_same_process() -> None:
    """A command shown in Chinese earlier in the process (its help, its output) is put back
    into English for the reference: its placeholders too (`--days 整数` was left over, since
    a type's name was read in the language of the first help shown)."""
    from tests.conftest import kehu

    assert kehu("--lang", "zh_CN", "reminders", "--help").code == 0
    assert "整数" in kehu("--lang", "zh_CN", "reminders", "--help").out
    actual = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    assert gen_docs.render_cli() == actual


def test_kehu_yaml_reference_is_what_the_models_say() -> None:
    """docs/reference/configuration.md is generated from StoreConfig and the built-in plugins'
    settings: a key added to a model without regenerating the page fails here."""
    import gen_config_docs

    from kehu_core.config import StoreConfig

    actual = (ROOT / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")
    assert actual == gen_config_docs.render_config(), (
        "docs/reference/configuration.md is out of date: run .venv/bin/python scripts/gen_docs.py")
    for key in StoreConfig.model_fields:
        assert f"| `{key}` |" in actual
