"""Generate the documentation's references from the code.

    .venv/bin/python scripts/gen_docs.py          # writes docs/reference/cli.md and hooks.md
    .venv/bin/python scripts/gen_docs.py --check  # exit 1 if a file is not what the code says

docs/reference/cli.md is every command of `kehu_core.cli.cli` (with the plugins' commands, as
`kehu` itself builds it), its arguments and options, taken from click. tests/test_docs.py fails
when a command or option is missing from it.

docs/reference/hooks.md is every hook of kehu_core/hookspecs.py, its signature and docstring,
and the objects hooks hand back (scripts/gen_hook_docs.py); tests/test_hook_reference.py fails
when it is out of date or a hook is missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
CLI_MD = ROOT / "docs" / "reference" / "cli.md"


def root_command() -> click.Command:
    from kehu_core import i18n
    from kehu_core.cli import cli
    from kehu_core.cli.localize import localize

    i18n.set_language("en")  # the reference is in English, whatever the locale
    localize(cli)

    return cli


def walk(cmd: click.Command, path: tuple[str, ...] = ("kehu",)):
    """(path, command) for the command and every subcommand, in name order."""
    yield path, cmd
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd, info_name=path[-1])
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, (*path, name))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _option_row(ctx: click.Context, param: click.Option) -> str:
    record = param.get_help_record(ctx)
    names, help_text = record if record else (", ".join(param.opts), "")
    return f"| `{_cell(names)}` | {_cell(help_text)} |"


def render_cli(cmd: click.Command | None = None) -> str:
    cmd = cmd or root_command()
    out = [
        "# CLI reference",
        "",
        "Generated from the click commands by `scripts/gen_docs.py`; do not edit by hand. "
        "`kehu COMMAND --help` prints the same. The overview by task is [The CLI](../cli.md).",
        "",
    ]
    from kehu_core.cli.localize import is_help_option, localize

    for path, sub in walk(cmd):
        # a built-in command is loaded on first use: one loaded and shown in another language
        # earlier in this process (a test of Chinese help) is put back into English here
        localize(sub)
        ctx = click.Context(sub, info_name=path[-1])
        usage = " ".join(sub.collect_usage_pieces(ctx))
        out += [f"## `{' '.join(path)}`", "", f"`{' '.join(path)} {usage}`", ""]
        doc = (sub.help or "").strip()
        if doc:
            out += [click.unstyle(doc.split("\f")[0].strip()), ""]
        arguments = [p for p in sub.params if isinstance(p, click.Argument)]
        if arguments:
            out += ["Arguments: " + ", ".join(f"`{a.make_metavar(ctx) if _takes_ctx(a) else a.make_metavar()}`"
                                               for a in arguments), ""]
        options = [p for p in sub.params if isinstance(p, click.Option) and not p.hidden and not is_help_option(p)]
        if options:
            out += ["| option | meaning |", "|---|---|"]
            out += [_option_row(ctx, p) for p in options]
            out.append("")
        if isinstance(sub, click.Group):
            names = sub.list_commands(ctx)
            if names:
                out += ["Commands: " + ", ".join(f"`{n}`" for n in names), ""]
    return "\n".join(out).rstrip() + "\n"


def _takes_ctx(param: click.Parameter) -> bool:
    import inspect

    return "ctx" in inspect.signature(param.make_metavar).parameters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    from gen_config_docs import CONFIG_MD, render_config
    from gen_hook_docs import HOOKS_MD, render_hooks

    pages = {CLI_MD: render_cli(), HOOKS_MD: render_hooks(), CONFIG_MD: render_config()}
    if args.check:
        stale = [p for p, text in pages.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
        for page in stale:
            print(f"{_shown(page)} is out of date: run scripts/gen_docs.py", file=sys.stderr)
        return 1 if stale else 0
    for page, text in pages.items():
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(text, encoding="utf-8")
        print(f"wrote {_shown(page)}")
    return 0


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


if __name__ == "__main__":
    sys.exit(main())
