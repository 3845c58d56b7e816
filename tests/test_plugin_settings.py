"""A plugin declares its settings (the ``settings_model`` hook): its section of kehu.yaml is
checked when the store opens and by ``kehu check``, a bad value named at its line with the
plugin, the field and what is expected. ``expiry_days: 99999`` of the points plugin passed
``kehu check`` with exit 0 (only a command that read the points found it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from kehu_core import hookimpl
from kehu_core.errors import RecordError
from kehu_core.services.checking import check_store
from kehu_core.store import Store

from .conftest import kehu


def _settings(store: Path, block: str) -> dict[str, int]:
    """``block`` (YAML under ``plugins:``) written into kehu.yaml; each of its keys' lines."""
    config = store / "kehu.yaml"
    head = "plugins:\n  disabled: []\n"
    text = config.read_text(encoding="utf-8").replace(head, head + block)
    config.write_text(text, encoding="utf-8")
    return {line.strip().split(":")[0]: n for n, line in enumerate(text.splitlines(), 1) if line.startswith("    ")}


BAD = {
    "points": ("  points:\n    expiry_days: 99999\n", "expiry_days",
               "plugins.points.expiry_days: Input should be less than or equal to 36500"),
    "tiering": ("  tiering:\n    scheme: nope\n", "scheme", "plugins.tiering.scheme: Input should be"),
    "reminders": ("  reminders:\n    spread_days: 0\n", "spread_days",
                  "plugins.reminders.spread_days: Input should be greater than or equal to 1"),
    "typo": ("  points:\n    expiry_day: 30\n", "expiry_day",
             "plugins.points.expiry_day: Extra inputs are not permitted"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_built_in_plugins_bad_setting_is_named_by_check_and_stops_every_command(store_path: Path, case: str) -> None:
    block, key, said = BAD[case]
    line = _settings(store_path, block)[key]
    config = store_path / "kehu.yaml"
    for args in (["check"], ["customer", "list"], ["customer", "add", "--name", "甲"]):
        result = kehu(*args, store=store_path)
        assert result.code == 1, (args, result.out, result.err)
        assert f"{config}:{line}: {said}" in result.out + result.err, (args, result.out, result.err)
        assert "Traceback" not in result.err
    assert not list((store_path / "customers").glob("*/*"))  # nothing written
    config.write_text(config.read_text(encoding="utf-8").replace(block, ""), encoding="utf-8")
    assert kehu("check", store=store_path).code == 0


class _GreetSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    times: int = Field(1, ge=1, le=3)


class _Greet:
    """A plugin of one's own that declares its settings."""

    @hookimpl
    def settings_model(self) -> type[BaseModel]:
        return _GreetSettings


class _Broken:
    @hookimpl
    def settings_model(self) -> object:
        return {"times": int}  # no model class


def test_settings_model_checks_a_section_at_open_and_in_check(store_path: Path) -> None:
    lines = _settings(store_path, "  greet:\n    times: 9\n")
    config = store_path / "kehu.yaml"
    with pytest.raises(RecordError) as refused:
        Store.open(store_path, extra_plugins={"greet": _Greet()})
    assert [(p.path, p.line) for p in refused.value.problems] == [(config, lines["times"])]
    assert "plugins.greet.times: Input should be less than or equal to 3" in str(refused.value)
    store = Store(store_path, Store.open(store_path).config, extra_plugins={"greet": _Greet()})
    assert [p.render() for p in check_store(store) if p.path == config] == [
        f"{config}:{lines['times']}: plugins.greet.times: Input should be less than or equal to 3"]
    config.write_text(config.read_text(encoding="utf-8").replace("times: 9", "times: 2"), encoding="utf-8")
    store = Store.open(store_path, extra_plugins={"greet": _Greet()})
    assert store.plugins.settings_model("greet", _GreetSettings).times == 2
    assert check_store(store) == []


def test_a_settings_model_that_is_no_model_is_the_plugins_failure(store_path: Path) -> None:
    _settings(store_path, "  broken:\n    times: 9\n")
    store = Store.open(store_path, extra_plugins={"broken": _Broken()})  # opens: nothing to check it by
    problems = [p.render() for p in check_store(store)]
    assert len(problems) == 1 and "plugin 'broken' failed in settings_model" in problems[0], problems
    assert "expected a pydantic model class" in problems[0]
