"""The twentieth round (twentiethc, 2026-12-06, issue 16): code the nineteenth left open. Each
test failed on the code before its fix. See docs/reliability.md, "The outside attacker's
variants"."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click
from click.testing import CliRunner

from kehu_core.store import open_store
from kehu_core.testing import make_store

from .conftest import kehu
from .pluginutil import add_customer
from .test_hostile_seventeenth_seventeenthb import edit_without_a_terminal

ROOT = Path(__file__).resolve().parents[1]


def _in_region(root: Path, region: str) -> None:
    config = root / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r"(?m)^region: \w+", f"region: {region}", text), encoding="utf-8")


def test_a_plugin_validates_a_customer_in_the_stores_region_with_the_public_context(tmp_path: Path) -> None:
    """A plugin making a customer from its own data had no public way to give the model the
    store's phone region (kehu built ``{"region": ...}`` by hand in ten places beside the
    store's private ``_context``): ``store.validation_context()`` is that one place, and a
    US store keeps (202) 555-0143 as +12025550143, not as a Chinese number."""
    from kehu_core.store import open_store

    root = make_store(tmp_path / "store").root
    _in_region(root, "US")
    store = open_store(root)
    customer = store.customer_model.model_validate({"id": "c-1", "name": "Bob", "phones": ["(202) 555-0143"]},
                                                   context=store.validation_context())
    assert customer.phones == ["+12025550143"]


def test_no_door_builds_the_region_context_by_hand() -> None:
    """One home: the context's form is written in kehu_core/models/fields.py alone."""
    found = []
    for folder in ("kehu_core", "plugins", "tui", "records"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if 'context={"region"' in path.read_text(encoding="utf-8"):
                found.append(str(path.relative_to(ROOT)))
    assert found == []


def _wrapper(path: Path, name: str, *, shebang: bool = True) -> Path:
    """A wrapper script that edits the file it is given last (the copy): the name becomes
    ``name``, as a user's vim behind a script of theirs would save it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(("#!/bin/sh\n" if shebang else "") + '# a wrapper of the shop\'s editor\nfor f; do :; done\n'
                    f"sed -i 's/^name: .*/name: {name}/' \"$f\"\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_an_editor_behind_a_wrapper_script_edits_the_customer(store_path: Path, tmp_path: Path) -> None:
    """$EDITOR as a shell and git read it: a wrapper script with no `#!` line ended `kehu edit`
    in "Exec format error", `~/bin/my-editor --wait` and `LC_ALL=C.UTF-8 my-editor` in "No such
    file or directory" (the words were run as a program's name), exit 1, nothing edited. Now a
    value with what only a shell reads is run by `sh -c`, as git runs it, and a script with no
    `#!` by sh (`services.editing.editor_command`, `run_editor_on`); a wrapper with a `#!`, and
    `code --wait`, run as before."""
    cid = add_customer(store_path, "赵敏")
    home = tmp_path / "home"
    plain = _wrapper(tmp_path / "bin" / "my-vim-wrapper", "钱一")  # ran before too
    _wrapper(home / "bin" / "my-editor", "孙二")
    bare = _wrapper(tmp_path / "bare" / "my-vim-wrapper", "李三", shebang=False)
    env = {"HOME": str(home), "PATH": f"{home / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    for editor, name in ((str(plain), "钱一"), ("~/bin/my-editor --wait", "孙二"), (str(bare), "李三"),
                         ("LC_ALL=C.UTF-8 my-editor", "孙二"), (f"{plain} --wait", "钱一")):
        code, err = edit_without_a_terminal(store_path, cid, **env, EDITOR=editor)
        assert code == 0, (editor, err)
        assert "Traceback" not in err
        assert open_store(store_path).get(cid).name == name, editor


def test_a_terminal_editor_started_through_env_is_known_without_a_terminal(store_path: Path, tmp_path: Path) -> None:
    """`EDITOR='env TERM=xterm vim'` (or `TERM=xterm vim`) from a pipe: the program was taken to be
    `env`, not vim, and vim waited for ever; it is refused as `EDITOR=vim` is. The stand-in vim
    only notes that it was started."""
    cid = add_customer(store_path, "赵敏")
    started = tmp_path / "started"
    vim = tmp_path / "bin" / "vim"
    vim.parent.mkdir()
    vim.write_text(f"#!/bin/sh\necho vim >> '{started}'\n", encoding="utf-8")
    vim.chmod(0o755)
    path = {"PATH": f"{vim.parent}{os.pathsep}{os.environ['PATH']}"}
    for editor in ("env TERM=xterm vim", "TERM=xterm vim", "env -u DISPLAY vim -n"):
        code, err = edit_without_a_terminal(store_path, cid, **path, EDITOR=editor)
        assert code == 1 and "terminal" in err and "KEHU_EDITOR_NO_TTY" in err, (editor, code, err)
    assert not started.exists()


def test_kehu_says_its_numbers_in_chinese_without_touching_clicks_number_types(store_path: Path) -> None:
    """kehu named click's own number classes (`click.IntRange.name` replaced, for every program
    in the process) and its number types overrode click's private `_describe_range`. Now kehu's
    types (`cli.options.Whole`, `Number`) carry their own names and check their own range, by
    click's public attributes, and kehu's help formatter says the range's letter in Chinese:
    what a user sees is unchanged (`[0<=数值<=1000000000]`, "-1 不在范围 0<=数值<=1000000000 内",
    "'abc' 不是有效的整数"), and click's classes are as click made them."""
    from kehu_core.cli import options

    refused = kehu("--lang", "zh_CN", "customer", "list", "--limit", "-1", store=store_path)
    assert refused.code == 2 and "-1 不在范围 0<=数值<=1000000000 内。" in refused.err, refused.err
    typed = kehu("--lang", "zh_CN", "customer", "list", "--limit", "abc", store=store_path)
    assert typed.code == 2 and "'abc' 不是有效的整数。" in typed.err, typed.err
    shown = kehu("--lang", "zh_CN", "customer", "list", "--help", store=store_path)
    assert "[0<=数值<=1000000000]" in shown.out, shown.out
    english = kehu("--lang", "en", "customer", "list", "--limit", "-1", store=store_path)
    assert "-1 is not in the range 0<=x<=1000000000." in english.err, english.err
    assert kehu("--lang", "en", "customer", "list", "--help", store=store_path).out.count("[0<=x<=1000000000]") == 1
    for cls in (click.types.IntParamType, click.IntRange, click.types.FloatParamType, click.FloatRange):
        assert type(vars(cls).get("name")) is str, cls
    kehus = [cls for kind in (options.Whole, options.Number, options.COUNT.__class__)
             for cls in type.mro(kind) if cls.__module__ == options.__name__]
    assert not [cls for cls in kehus if "_describe_range" in vars(cls)]


def test_a_number_without_bounds_shows_no_range(store_path: Path) -> None:
    """A plugin's `type=int` option is kehu's Whole() when kehu runs it: no `[x<=None]` in its help,
    and a number of any size is taken."""
    from kehu_core.cli.options import Number, Whole, plain_numbers

    @click.command()
    @click.option("--boxes", type=int, help="How many boxes.")
    @click.option("--rate", type=Number(), help="A rate.")
    def tool(boxes: int, rate: float) -> None:
        click.echo(f"{boxes} {rate}")

    assert Whole().convert("１２", None, None) == 12  # kehu's rule of numbers: full-width digits
    plain_numbers(tool)
    shown = CliRunner().invoke(tool, ["--help"])
    assert "None" not in shown.output and "<=" not in shown.output, shown.output
    ran = CliRunner().invoke(tool, ["--boxes", "99999999999", "--rate", "-1.5"])
    assert ran.exit_code == 0 and ran.output == "99999999999 -1.5\n", ran.output


def test_kehus_help_option_is_its_own_and_said_in_each_language(store_path: Path) -> None:
    """kehu reset click's private cache of a command's help option (`command._help_option =
    None`) so that its words, made in the language of their day, were made again. Now each
    command kehu runs has a help option of kehu's own (`localize._own_help_option`: the same
    names and words, translated as every option is), and kehu's handler of click's usage errors
    names it in its hint as click did ("Try 'kehu customer list --help' for help.")."""
    from kehu_core.cli import cli, localize

    for language, words, hint in (("zh_CN", "显示本帮助并退出。", "请运行 'kehu customer list --help' 查看帮助。"),
                                  ("en", "Show this message and exit.", "Try 'kehu customer list --help' for help."),
                                  ("zh_CN", "显示本帮助并退出。", "请运行 'kehu customer list --help' 查看帮助。")):
        shown = kehu("--lang", language, "customer", "list", "-h", store=store_path)
        assert shown.code == 0 and words in shown.out and "-h, --help" in shown.out, shown.out
        wrong = kehu("--lang", language, "customer", "list", "--no-such-option", store=store_path)
        assert wrong.code == 2 and hint in wrong.err, wrong.err
    ctx = click.Context(cli)
    listing = cli.get_command(ctx, "customer").get_command(ctx, "list")  # type: ignore[union-attr]
    assert listing is not None and listing.get_help_option(click.Context(listing)) is None  # click's: none

    @click.command()
    @click.option("-h", "--height", type=int)
    def tall(height: int) -> None:
        del height

    localize(tall)
    assert [param.opts for param in tall.params][-1] == ["--help"]  # -h is the command's own, as with click
