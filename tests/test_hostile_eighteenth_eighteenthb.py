"""The eighteenth outside round (eighteenthb, 2026-12-06): issue 16's kind 3, one rule for numbers
and messages at every door (kehu.yaml's settings, a plugin's fields and options, click's own
errors). Each failed on the code before its fix. See docs/reliability.md, "The outside
attacker's variants"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kehu_core import hookimpl
from kehu_core.testing import make_store, run_kehu

from . import test_hostile_limits
from .conftest import kehu

no_traceback = test_hostile_limits.no_traceback


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_a_setting_written_with_an_underscore_or_another_scripts_digits_is_refused(store_path: Path) -> None:
    """kehu.yaml's numbers (kehu's own, `complaints: resolve_within_days: 1_0`, and each plugin's:
    `points: referral_bonus: 1_000`, a multiplier, `reminders: key_visits: every_days:`) were read
    by pydantic's lax rule: an underscore, and for a decimal any script's digits (`per_amount:
    '١'`), taken as the number with `kehu check` ok, where every other door refuses them
    (`money.number_text`). Now named at their line; full-width digits read as ASCII ones."""
    config = store_path / "kehu.yaml"
    plain = config.read_text(encoding="utf-8")
    plain = plain.replace("plugins:\n  disabled: []\n", "")
    for section, said, value in (
            ("complaints:\n  resolve_within_days: 1_0\n", "complaints.resolve_within_days", "1_0"),
            ("plugins:\n  points:\n    referral_bonus: 1_000\n", "plugins.points.referral_bonus", "1_000"),
            ("plugins:\n  points:\n    per_amount: '١'\n", "plugins.points.per_amount", "١"),
            ("plugins:\n  points:\n    multipliers: {VIP: 1_5}\n", "plugins.points.multipliers.VIP", "1_5"),
            ("plugins:\n  reminders:\n    key_visits:\n      every_days: {重要客户: 3_0}\n",
             "plugins.reminders.key_visits.every_days.重要客户", "3_0"),
            ("plugins:\n  tiering:\n    pyramid:\n      shares: [0.2, 0.3, 0_.5]\n      names: [A, B, C]\n",
             "plugins.tiering.pyramid.shares.2", "0_.5")):
        config.write_text(plain + section, encoding="utf-8")
        checked = kehu("check", store=store_path)
        no_traceback(checked)
        text = checked.out + checked.err
        assert checked.code == 1, (section, text)
        line = _line_of(config, value)
        assert f"kehu.yaml:{line}: {said}: '{value}' is not a number kehu reads" in text, (section, text)
    config.write_text(plain + "plugins:\n  points:\n    referral_bonus: １０００\n", encoding="utf-8")
    checked = kehu("check", store=store_path)
    assert checked.code == 0, checked.out + checked.err


class _Sizes:
    """A third party's number fields."""

    @hookimpl
    def customer_fields(self) -> dict[str, tuple[Any, Any]]:
        return {"shoe_size": (int | None, None), "score": (float | None, None), "ratios": (list[float], [])}


def test_a_plugins_number_field_is_read_by_the_rule_of_every_number(tmp_path: Path) -> None:
    """A plugin's `int`/`float` customer field took `customer set ID shoe_size=1_000` as 1000 (and a
    hand edit's `shoe_size: 1_000`, which YAML reads as text, with `kehu check` ok), where
    `credit_limit=1_000` is refused: pydantic's lax rule. Now refused naming the field;
    full-width digits are read as ASCII ones, as at every door."""
    store = make_store(tmp_path / "shop", plugins={"sizes": _Sizes()})
    cid = run_kehu(store, "customer", "add", "--name", "赵敏").out.strip()
    path = store.customer_file(cid)
    before = path.read_bytes()
    for typed in ("shoe_size=1_000", "score=1_0.5", "shoe_size=٣٨"):
        refused = run_kehu(store, "customer", "set", cid, typed)
        no_traceback(refused)
        assert refused.code == 1, (typed, refused.out, refused.err)
        assert typed.split("=")[0] in refused.err and "no '_'" in refused.err, refused.err
        assert path.read_bytes() == before
    done = run_kehu(store, "customer", "set", cid, "shoe_size=３８")
    assert done.code == 0, done.err
    assert "shoe_size: 38\n" in path.read_text(encoding="utf-8")
    written = path.read_text(encoding="utf-8")
    for said, field, value in (("shoe_size: 1_000\n", "shoe_size", "'1_000'"),
                               ("shoe_size: 38\nratios: [1.5, 2_5]\n", "ratios", "'2_5'")):
        path.write_text(written.replace("shoe_size: 38\n", said), encoding="utf-8")
        checked = run_kehu(store, "check")
        no_traceback(checked)
        assert checked.code == 1, checked.out + checked.err
        line = _line_of(path, said.splitlines()[-1])
        assert f"{path}:{line}: {field}: {value} is not a number" in checked.out, checked.out


class _Shoes:
    """A third party's command with click's own number types (`type=int`, `float`, an int
    argument, an inferred one) and kehu's (`kehu_core.cli.Whole`)."""

    @hookimpl
    def register_commands(self, cli: Any) -> None:
        import click

        from kehu_core.cli import Whole

        @cli.command("shoes")
        @click.argument("pairs", type=int)
        @click.option("--size", type=float)
        @click.option("--days", default=7)
        @click.option("--boxes", type=Whole(min=1))
        @click.option("--span", type=(int, float), default=(1, 1.0))
        def shoes(pairs: int, size: float | None, days: int, boxes: int | None, span: tuple[int, float]) -> None:
            click.echo(f"{pairs} {size} {days} {boxes} {span[0]} {span[1]}")


def test_the_cli_reads_numbers_by_its_own_types_and_leaves_clicks_as_they_are(tmp_path: Path) -> None:
    """The CLI's rule of numbers (`money.number_text`) was put on click itself: importing
    `kehu_core.cli` replaced click's private `_NumberParamTypeBase.convert` for the whole process,
    so another click program in it (a plugin's own tool, a script calling `run()`) refused
    `1_000` as kehu does. Now kehu's options are of kehu's own types (`cli.options.Whole`,
    `Number`), a plugin's `type=int`/`float` option is read as one of them when kehu runs it,
    and click is left as it was."""
    import subprocess
    import sys

    code = ("import click, kehu_core.cli as c; c.run(['--version']); "
            "print(click.INT.convert('1_000', None, None), click.FLOAT.convert('2_5', None, None))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert shown.returncode == 0 and shown.stdout.split()[-2:] == ["1000", "25.0"], shown.stdout + shown.stderr
    store = make_store(tmp_path / "shop", plugins={"shoes": _Shoes()})
    for argv, said in ((("shoes", "1_000"), "PAIRS"), (("shoes", "2", "--size", "٣٨"), "--size"),
                       (("shoes", "2", "--days", "1_0"), "--days"), (("shoes", "2", "--boxes", "1_0"), "--boxes"),
                       (("shoes", "2", "--boxes", "0"), "--boxes"), (("shoes", "2", "--span", "1", "1_0"), "--span")):
        refused = run_kehu(store, *argv)
        no_traceback(refused)
        assert refused.code == 2 and said in refused.err, (argv, refused.err)
        assert "no '_'" in refused.err or "0" in argv, refused.err
    taken = run_kehu(store, "shoes", "２", "--size", "３８.５", "--days", "３", "--boxes", "１",
                     "--span", "４", "０.５")
    assert taken.code == 0 and taken.out == "2 38.5 3 1 4 0.5\n", taken.out + taken.err


def test_a_value_in_clicks_errors_or_a_done_message_shows_its_control_characters_escaped(
        store_path: Path, tmp_path: Path) -> None:
    """Text outside kehu's errors was printed as typed: click's own usage errors echo the
    argument ("Got unexpected extra argument (b" and a second line "kehu: ok)"), and `kehu init`,
    `kehu export` and `reminders --ics` said the path they wrote to raw, so a line feed in it
    made a line that read as kehu's own and ESC drove the terminal. Each is shown escaped
    (`\\n`, `\\x1b`) by the rule of every kehu error (`errors.shown_path`)."""
    from .pluginutil import add_customer

    cid = add_customer(store_path, "赵敏")
    for argv in (("customer", "show", cid, "b\nkehu: ok"), ("customer", "show", cid, "b\x1b[2J"),
                 ("customer", "list", "--json", "x\nkehu: ok", "y")):
        refused = kehu(*argv, store=store_path)
        no_traceback(refused)
        assert refused.code == 2, (argv, refused.err)
        assert "\x1b" not in refused.err, refused.err
        assert not any(line.startswith("kehu: ok") for line in refused.err.splitlines()), refused.err
        assert "\\n" in refused.err or "\\x1b" in refused.err, refused.err
    helped = kehu("customer", store=store_path)  # a group without its command: its help, lines as they are
    assert "\\n" not in helped.err and len(helped.err.splitlines()) > 5, helped.err
    folder = tmp_path / "a\nkehu: ok"
    made = kehu("init", str(folder), "--no-git")
    assert made.code == 0 and folder.is_dir(), made.err
    assert made.err.splitlines() == [f"new kehu store at {tmp_path}/a\\nkehu: ok"], made.err
    for argv, target in ((("export", "--format", "csv"), tmp_path / "b\nkehu: ok.csv"),
                         (("reminders", "--ics"), tmp_path / "c\x1b[2J.ics")):
        done = kehu(*argv, str(target), store=store_path)
        assert done.code == 0 and target.is_file(), done.err
        assert "\x1b" not in done.err and not any(line.startswith("kehu: ok") for line in done.err.splitlines())
        assert ("\\n" if "\n" in target.name else "\\x1b") in done.err, done.err
    with (store_path / "kehu.yaml").open("a", encoding="utf-8") as config:
        config.write('segments:\n  "v\\e[2Jip": {tag: VIP, description: "老\\e]0;x\\a客户"}\n')
    listed = kehu("segment", "list", store=store_path)
    assert listed.code == 0 and "\x1b" not in listed.out and "\a" not in listed.out, listed.out
    assert "v\ufffd[2Jip" in listed.out, listed.out


def test_an_error_of_several_lines_keeps_a_values_line_feed_in_its_line(tmp_path: Path) -> None:
    """kehu's messages of several lines (sync's, keys', undo's) were made as
    `KehuError(*text.format(...).split("\\n"))`: the value put in (a problem's message quoting a
    plugin's words, a path) was cut at its own line feed too, its second part a line of its own
    that read as kehu's ("kehu: ok"), where every other value's line feed is shown escaped.
    `KehuError.of_lines`: the template's lines are lines, a listing's items lines, and a value's
    own line feed or ESC is shown escaped in its line."""
    from kehu_core.errors import KehuError, Problem
    from kehu_core.services import sync

    made = KehuError.of_lines("first {name}:\n  {shown}\nlast {name}", name="a\nkehu: ok\x1b[2J",
                              shown=["one", "two\nkehu: ok"])
    assert str(made).split("\n") == ["first a\\nkehu: ok\\x1b[2J:", "  one", "  two\\nkehu: ok",
                                     "last a\\nkehu: ok\\x1b[2J"], str(made)
    refused = sync._rejected([Problem(tmp_path / "kehu.yaml", 3, "plugins.p.x: bad\nkehu: ok")], tmp_path)
    lines = str(refused).split("\n")
    assert lines[-1] == "kehu.yaml:3: plugins.p.x: bad\\nkehu: ok", lines
    assert not any(line.startswith("kehu: ok") for line in lines), lines


class _Picky:
    """A third party's settings whose validator says why in two lines."""

    @hookimpl
    def settings_model(self) -> Any:
        from pydantic import BaseModel, field_validator

        class Settings(BaseModel):
            x: int = 1

            @field_validator("x")
            @classmethod
            def _x(cls, value: int) -> int:
                if value != 1:
                    raise ValueError("bad\nkehu: ok: 0 customers, no problems\x1b[2J")
                return value

        return Settings


def test_a_problems_message_is_one_line_wherever_it_is_printed(tmp_path: Path) -> None:
    """A problem's message quoting words kehu did not write (a plugin's settings validator: "bad"
    and a line "kehu: ok: 0 customers, no problems") was printed with its line feed and ESC by
    `kehu check` and by every command the store's opening refused (the CLI printed each
    problem's `render()` itself, not the error's text): a line that read as kehu's own. A
    problem is one line, `path:line: message`, its control characters shown escaped by the rule
    of every kehu error (`errors.Problem.render`)."""
    store = make_store(tmp_path / "shop", plugins={"picky": _Picky()})
    with (store.root / "kehu.yaml").open("a", encoding="utf-8") as config:
        config.write("  picky:\n    x: 2\n")
    for argv in (("check",), ("customer", "list")):
        refused = run_kehu(store, *argv)
        no_traceback(refused)
        text = refused.out + refused.err
        assert refused.code == 1, text
        assert "\x1b" not in text and not any(line.startswith("kehu: ok") for line in text.splitlines()), text
        assert "plugins.picky.x: bad\\nkehu: ok: 0 customers, no problems\\x1b[2J" in text, text


def test_the_tuis_snooze_reads_its_days_by_the_rule_of_every_number() -> None:
    """The TUI's snooze form took `+3` days but refused `+３` (an IME left in full-width) as "expected
    YYYY-MM-DD or +N", where its date `２０２６-１２-０１` and every other door's full-width
    digits are read as ASCII ones (`money.number_text`); `+1_0` and `+١٠` stay refused."""
    import datetime as dt

    import pytest

    from tui.screens.snooze import parse_until

    today = dt.date(2026, 11, 20)
    assert parse_until("+３", today) == parse_until("+3", today) == today + dt.timedelta(days=3)
    assert parse_until("１０", today) == today + dt.timedelta(days=10)
    for typed in ("+1_0", "+١٠", "1_0"):
        with pytest.raises(ValueError, match="expected YYYY-MM-DD or"):
            parse_until(typed, today)


def test_the_outreach_rate_of_kehu_yaml_is_read_by_the_rule_of_every_number(store_path: Path) -> None:
    """`outreach: rate_per_minute:` (read by `kehu send` itself, not by a settings model) was read
    by Python's `float`: `1_0` and `١٠` were ten messages a minute, `true` one, exit 0. Now
    refused naming the setting, as `--rate 1_0` is; `１０` is ten."""
    config = store_path / "kehu.yaml"
    plain = config.read_text(encoding="utf-8")
    argv = ("send", "--segment", "all", "--template", "birthday", "--dry-run")
    for typed in ("1_0", "'١٠'", "true"):
        config.write_text(plain + f"outreach:\n  rate_per_minute: {typed}\n", encoding="utf-8")
        refused = kehu(*argv, store=store_path)
        no_traceback(refused)
        assert refused.code == 1 and "rate_per_minute" in refused.err, (typed, refused.out, refused.err)
    config.write_text(plain + "outreach:\n  rate_per_minute: １０\n", encoding="utf-8")
    assert kehu(*argv, store=store_path).code == 0
    assert kehu("send", "--rate", "1_0", *argv[1:], store=store_path).code == 2


def test_the_mail_servers_port_and_timeout_are_settings_read_at_their_line(store_path: Path) -> None:
    """kehu.yaml's `smtp: port:` and `timeout:` were read by `kehu send` with Python's `int` and
    `float` as it connected: `port: 4_65` was port 465, `true` port 1, and `timeout: abc` ended the
    send in "internal error: ValueError", with `kehu check` ok. They are settings of the model
    now (`config_outreach.MailServerSettings`), read by the rule of every setting's numbers at their line."""
    config = store_path / "kehu.yaml"
    plain = config.read_text(encoding="utf-8")
    for typed, said in (("port: 4_65", "smtp.port: '4_65' is not a number"), ("port: true", "smtp.port: true is yes"),
                        ("timeout: abc", "smtp.timeout: "), ("port: 0", "smtp.port: ")):
        config.write_text(plain + f"smtp:\n  host: 127.0.0.1\n  from: a <a@example.com>\n  {typed}\n",
                          encoding="utf-8")
        checked = kehu("check", store=store_path)
        no_traceback(checked)
        text = checked.out + checked.err
        assert checked.code == 1 and f"kehu.yaml:{_line_of(config, typed)}: {said}" in text, (typed, text)
    config.write_text(plain + "smtp:\n  host: 127.0.0.1\n  from: a <a@example.com>\n  port: ４６５\n  timeout: 2.5\n",
                      encoding="utf-8")
    assert kehu("check", store=store_path).code == 0


def test_a_reports_names_are_shown_by_the_rule_of_every_listing(store_path: Path) -> None:
    """A name holding an invisible character (a zero-width space pasted from a chat app: `张\\u200b三`)
    shows as `张\\ufffd三` in `customer list`, so a second 张三 never passes for the first
    (`render.terminal_safe`); the reports printed it as stored: `report abc`, `rfm`, `credit` and
    `receivables` listed two rows of 张三 that looked the same."""
    from .pluginutil import add_customer

    first = add_customer(store_path, "张三")
    second = add_customer(store_path, "张\u200b三", "--referrer", first)
    for cid in (first, second):
        assert kehu("purchase", "add", cid, "--amount", "100", "--date", "2026-11-01", "--credit",
                    store=store_path).code == 0
    assert "张\ufffd三" in kehu("customer", "list", store=store_path).out
    for argv in (("report", "abc"), ("report", "rfm"), ("report", "credit"), ("report", "receivables")):
        shown = kehu(*argv, store=store_path)
        assert shown.code == 0, (argv, shown.err)
        assert "\u200b" not in shown.out, (argv, shown.out)
