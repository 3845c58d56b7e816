"""The nineteenth outside round (nineteenthc, 2026-12-06): issue 16's messages and settings left
open (a third party's words in `kehu plugins`, a name's invisible character in `points` and
`reminders`, a plugin's usage error of several lines, kehu.yaml's `outreach` in `kehu check`,
`kehu keys` reading kehu.yaml as kehu does). Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from kehu_core import hookimpl
from kehu_core.testing import make_store, run_kehu

from . import test_hostile_limits
from .conftest import kehu
from .pluginutil import installed_plugin

no_traceback = test_hostile_limits.no_traceback

#: a third party's plugin that fails as it is imported, its message of two lines, the second kehu's look
_FAILING_MODULE = '''"""A plugin whose words hold a line feed."""
raise ValueError("bad\\nkehu: ok \\x1b[2J")
'''


def _kehu_with(site: Path, store: Path, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """kehu in its own process with the plugins installed in ``site`` (this checkout's code first:
    the PYTHONPATH the tests run with stays behind ``site``)."""
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), *argv],
                          capture_output=True, text=True, env=env)


def test_kehu_plugins_shows_a_third_partys_names_and_words_escaped(tmp_path: Path) -> None:
    """`kehu plugins` printed an entry point's name (ESC, a zero-width space: 'points\\u200b'
    looked as the built-in points) and a failure's words (a line feed: a line "kehu: ok" of
    the plugin's making) as they were. Now shown escaped, as every kehu message shows them."""
    site = tmp_path / "site"
    installed_plugin(site, "esc_kehu", "esc\x1b[2Jname", '"""Quiet."""\n')
    installed_plugin(site, "zw_kehu", "points\u200b", '"""Quiet."""\n')
    installed_plugin(site, "failing_kehu", "failing", _FAILING_MODULE)
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}])
    listed = _kehu_with(site, store.root, tmp_path, "plugins")
    no_traceback(type("R", (), {"out": listed.stdout, "err": listed.stderr})())
    assert listed.returncode == 0, listed.stderr
    out = listed.stdout
    assert "\x1b" not in out and "\u200b" not in out, out
    assert "esc\\x1b[2Jname:" in out, out
    assert "points\\u200b:" in out, out
    said = listed.stderr  # the plugin that failed as it was imported
    assert "\x1b" not in said and not any(line.startswith("kehu: ok") for line in said.splitlines()), said
    assert "kehu: plugin 'failing' failed in import: ValueError: bad\\nkehu: ok \\x1b[2J" in said, said


def test_points_and_reminders_show_a_names_invisible_character_as_every_list_does(store_path: Path) -> None:
    """A customer named 张\\u200b三 (a zero-width space pasted from a chat app) beside 张三:
    `kehu points ID`, `points redeem`, `points void`, `kehu reminders`, `reminders done` and
    `snooze`, `kehu tier set` printed the name as stored, alike to the first 张三, where
    `customer list` shows 张\\ufffd三 (`shown.visible`). Now every one shows it so."""
    from .pluginutil import add_customer, buy

    cid = add_customer(store_path, "张\u200b三")
    buy(store_path, cid, 1288, "2026-03-01", "--paid")
    said = []
    shown = kehu("points", cid, store=store_path)
    said.append(shown.out)
    redeemed = kehu("points", "redeem", cid, "1", store=store_path)
    assert redeemed.code == 0, redeemed.err
    said.append(redeemed.out)
    entry = next(e["id"] for e in kehu("points", cid, "--json", store=store_path).json()["ledger"]
                 if e["reason"] == "redeem")
    voided = kehu("points", "void", entry, store=store_path)
    assert voided.code == 0, voided.err
    said.append(voided.out)
    listed = kehu("reminders", "--from", "2026-03-03", "--days", "1", store=store_path)
    assert listed.code == 0, listed.err
    said.append(listed.out)
    key = next(r["key"] for r in kehu("reminders", "--from", "2026-03-03", "--days", "1", "--json",
                                      store=store_path).json() if r["rule"] == "greeting")
    snoozed = kehu("reminders", "snooze", key, "--until", "2026-11-25", store=store_path)
    assert snoozed.code == 0, snoozed.err
    said.append(snoozed.err)
    done = kehu("reminders", "done", key, store=store_path)
    assert done.code == 0, done.err
    said.append(done.err)
    tiered = kehu("tier", "set", cid, "重要客户", store=store_path)
    assert tiered.code == 0, tiered.err
    said.append(tiered.err)
    for text in said:
        assert "张\u200b三" not in text and "张\ufffd三" in text, said


class _Wordy:
    """A third party's commands whose refusals are of several lines."""

    @hookimpl
    def register_commands(self, cli: Any) -> None:
        import click

        @cli.command("wordy")
        @click.option("--how", default="usage")
        def wordy(how: str) -> None:
            lines = "give --size or --colour;\nsee `kehu wordy --help`\n  \x1b[2Jsizes: 38-46"
            if how == "usage":
                raise click.UsageError(lines)
            if how == "fail":
                click.get_current_context().fail(lines)
            raise click.ClickException(lines)


def test_a_plugins_usage_error_of_several_lines_keeps_its_lines(tmp_path: Path) -> None:
    """A plugin's own `click.UsageError` (or `ctx.fail`, `ClickException`) of three lines was
    shown as one, its line feeds as `\\n` (the rule for what click quotes of the command line).
    Now its lines are lines, each with its ESC escaped, as `KehuError.of_lines` keeps kehu's
    own; what click quotes of the command line stays in its line."""
    store = make_store(tmp_path / "store", plugins={"wordy": _Wordy()})
    for how in ("usage", "fail", "click"):
        result = run_kehu(store, "wordy", "--how", how)
        no_traceback(result)
        assert result.code in (1, 2), result.err
        lines = result.err.splitlines()
        assert "see `kehu wordy --help`" in lines, (how, result.err)
        assert "  \\x1b[2Jsizes: 38-46" in lines, (how, result.err)
        assert "\x1b" not in result.err
        assert any(line.endswith("give --size or --colour;") for line in lines), (how, result.err)
    quoted = run_kehu(store, "wordy", "--how", "usage", "b\nkehu: ok")
    assert "Got unexpected extra argument (b\\nkehu: ok)" in quoted.err, quoted.err


def test_kehu_says_clicks_words_in_chinese_and_leaves_click_as_it_is(store_path: Path) -> None:
    """kehu put its Chinese on click itself (click's range of a number, `1<=数值<=5`, and the
    full stop after a missing parameter, `。`, replaced in click's classes): a program that
    imports kehu_core.cli (a plugin's own click tool) had its own messages changed. kehu's own
    messages say them in Chinese still, by kehu's types and kehu's handler of click's errors."""
    import click

    from kehu_core import i18n

    missing = kehu("--lang", "zh_CN", "customer", "add", store=store_path)
    assert missing.code == 2 and "错误：缺少选项 '--name'。" in missing.err, missing.err
    limit = kehu("--lang", "zh_CN", "customer", "list", "--limit", "-1", store=store_path)
    assert limit.code == 2 and "-1 不在范围 0<=数值<=1000000000 内" in limit.err, limit.err

    @click.command()
    @click.option("--n", type=click.IntRange(1, 5), required=True)
    def tool(n: int) -> None:
        del n

    with i18n.speaking("zh_CN"):
        for argv, said in ((["--n", "9"], "1<=x<=5"), ([], "'--n'.")):
            try:
                tool.main(argv, standalone_mode=False)
            except click.UsageError as exc:
                assert said in exc.format_message(), exc.format_message()
            else:
                raise AssertionError(argv)


def test_kehu_check_reads_the_outreach_settings_at_their_line(store_path: Path) -> None:
    """kehu.yaml's `outreach: rate_per_minute: abc` (or `1_0`, `nan`, `0`) was read by `kehu send`
    alone: `kehu check` said ok. Now a setting like `smtp:`'s, named at its line by check (and by
    every command, as kehu.yaml is read); `１０` is ten."""
    config = store_path / "kehu.yaml"
    plain = config.read_text(encoding="utf-8")
    for typed, said in (("abc", ""), ("1_0", "is not a number kehu reads"), ("nan", "messages per minute"),
                        ("0", "messages per minute"), ("[1]", "")):
        config.write_text(plain + f"outreach:\n  rate_per_minute: {typed}\n", encoding="utf-8")
        checked = kehu("check", store=store_path)
        no_traceback(checked)
        text = checked.out + checked.err
        line = len(plain.splitlines()) + 2
        assert checked.code == 1 and f"kehu.yaml:{line}: outreach.rate_per_minute: " in text, (typed, text)
        assert said in text, (typed, text)
    config.write_text(plain + "outreach:\n  rate_per_minute: １０\n", encoding="utf-8")
    assert kehu("check", store=store_path).code == 0


def test_kehu_keys_reads_kehu_yaml_as_every_other_door(store_path: Path, tmp_path: Path) -> None:
    """`kehu keys add` checked the kehu.yaml it was to write with PyYAML (YAML 1.1): a Norwegian
    shop's `region: NO` was false there ("region: Input should be a valid string"), refused,
    where every other door reads kehu.yaml as YAML 1.2 (`NO` is text) and the store opens. Now
    kehu.yaml is read by kehu's own reader, as the store reads it."""
    from .test_confidential import keyfile

    config = store_path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("region: CN", "region: NO") if "region: CN" in text else text + "region: NO\n",
                      encoding="utf-8")
    assert kehu("check", store=store_path).code == 0
    (tmp_path / "keys").mkdir()
    _path, public = keyfile(tmp_path / "keys", "wang")
    added = kehu("keys", "add", "王芳", public, store=store_path)
    no_traceback(added)
    assert added.code == 0, added.err
    assert "region: NO" in config.read_text(encoding="utf-8")
    assert kehu("keys", "list", "--json", store=store_path).json()["recipients"][0]["name"] == "王芳"
    assert kehu("check", store=store_path).code == 0
