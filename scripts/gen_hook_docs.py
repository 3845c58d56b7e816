"""Generate docs/reference/hooks.md from kehu_core/hookspecs.py (run by scripts/gen_docs.py).

Each hook: its signature and its docstring, in the order of the hookspecs; then the objects the
hooks hand back (``kehu_core.plugins``: ReminderRule, Column, Panel ...), with their members.
Read from the source text (``ast``), so the page shows the annotations as written.
tests/test_hook_reference.py fails when the page is out of date or a hook is missing.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOOKSPECS = ROOT / "kehu_core" / "hookspecs.py"
PLUGINS = ROOT / "kehu_core" / "plugins" / "api.py"  # the objects hooks hand back
HOOKS_MD = ROOT / "docs" / "reference" / "hooks.md"

#: the objects of kehu_core.plugins that hooks return, in the order the page shows them
HANDED_BACK = ["ReminderRule", "Column", "Panel", "Importer", "ImportedContact", "Exporter", "MessageSender"]

_ROLE = re.compile(r":(?:class|func|mod|meth|attr|data|exc):`~?([^`]+)`")


def markdown(doc: str) -> str:
    """A docstring as Markdown: Sphinx roles become code, ``::`` blocks become fenced code."""
    doc = _ROLE.sub(lambda m: f"``{m.group(1)}``", doc)
    out: list[str] = []
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith("::"):
            out.append(line.rstrip()[:-1])  # "like this::" -> "like this:"
            i += 1
            block: list[str] = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            out += ["", "```yaml" if any(": " in b for b in block) else "```",
                    *textwrap.dedent("\n".join(block)).strip("\n").splitlines(), "```", ""]
            continue
        out.append(line)
        i += 1
    return "\n".join(out).strip()


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return ast.unparse(target)


def _signature(fn: ast.FunctionDef, *, drop_self: bool = False) -> str:
    args = fn.args
    if drop_self and args.args and args.args[0].arg == "self":
        args = ast.arguments(posonlyargs=args.posonlyargs, args=args.args[1:], vararg=args.vararg,
                             kwonlyargs=args.kwonlyargs, kw_defaults=args.kw_defaults, kwarg=args.kwarg,
                             defaults=args.defaults)
    returns = f" -> {ast.unparse(fn.returns)}" if fn.returns is not None else ""
    return f"{fn.name}({ast.unparse(args)}){returns}"


def hookspecs(source: Path | None = None) -> list[tuple[ast.FunctionDef, str]]:
    """Every ``@hookspec`` function of the module, in source order, with its options."""
    tree = ast.parse((source or HOOKSPECS).read_text(encoding="utf-8"))
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                if _decorator_name(deco) == "hookspec":
                    options = ", ".join(ast.unparse(k) for k in deco.keywords) if isinstance(deco, ast.Call) else ""
                    found.append((node, options))
    return found


def _class_section(node: ast.ClassDef) -> list[str]:
    bases = ", ".join(ast.unparse(b) for b in node.bases)
    dataclass = any(_decorator_name(d) == "dataclass" for d in node.decorator_list)
    kind = "protocol" if "Protocol" in bases else "dataclass" if dataclass else "class"
    out = [f"### `{node.name}`", "", f"*{kind}* · `kehu_core.plugins.{node.name}`", ""]
    doc = ast.get_docstring(node)
    if doc:
        out += [markdown(doc), ""]
    members: list[str] = []
    body = node.body
    for i, item in enumerate(body):
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            default = f" = {ast.unparse(item.value)}" if item.value is not None else ""
            text = f"- `{item.target.id}: {ast.unparse(item.annotation)}{default}`"
            after = body[i + 1] if i + 1 < len(body) else None
            if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) \
                    and isinstance(after.value.value, str):
                text += ": " + _indent_rest(markdown(inspect.cleandoc(after.value.value)))
            else:
                comment = _comment_of(item)
                if comment:
                    text += f": {comment}"
            members.append(text)
        elif isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
            text = f"- `{_signature(item, drop_self=True)}`"
            method_doc = ast.get_docstring(item)
            if method_doc:
                text += ": " + _indent_rest(markdown(method_doc))
            members.append(text)
    if members:
        out += ["Members:", "", *members, ""]
    return out


_SOURCE_LINES: dict[int, str] = {}


def _comment_of(item: ast.AnnAssign) -> str:
    line = _SOURCE_LINES.get(item.lineno, "")
    return line.split("#", 1)[1].strip() if "#" in line else ""


def _indent_rest(text: str) -> str:
    """A multi-line member description kept inside its list item."""
    first, *rest = text.splitlines()
    return "\n".join([first, *[f"  {line}" if line.strip() else "" for line in rest]])


def render_hooks() -> str:
    tree = ast.parse(HOOKSPECS.read_text(encoding="utf-8"))
    intro = markdown(ast.get_docstring(tree) or "")
    out = [
        "# Hook reference",
        "",
        "Generated from the docstrings of `kehu_core/hookspecs.py` by `scripts/gen_docs.py`; do "
        "not edit by hand. How to write a plugin, step by step: [Writing plugins](../plugins.md).",
        "",
        intro,
        "",
        "## Hooks",
        "",
    ]
    specs = hookspecs()
    out += ["| hook | what it is for |", "|---|---|"]
    for fn, _ in specs:
        summary = (ast.get_docstring(fn) or "").strip().split("\n\n")[0].replace("\n", " ")
        cell = markdown(summary).replace("|", "\\|")
        out.append(f"| [`{fn.name}`](#{fn.name}) | {cell} |")
    out.append("")
    for fn, options in specs:
        out += [f"### `{fn.name}`", "", "```python", f"def {_signature(fn)}", "```", ""]
        if options:
            out += [f"pluggy options: `{options}`", ""]
        out += [markdown(ast.get_docstring(fn) or "(not documented)"), ""]
    plugins_source = PLUGINS.read_text(encoding="utf-8")
    _SOURCE_LINES.clear()
    _SOURCE_LINES.update(enumerate(plugins_source.splitlines(), 1))
    classes = {n.name: n for n in ast.parse(plugins_source).body if isinstance(n, ast.ClassDef)}
    out += ["## What hooks hand back", "",
            "The objects some hooks return, from `kehu_core.plugins` (import them from there).", ""]
    for name in HANDED_BACK:
        if name in classes:
            out += _class_section(classes[name])
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    HOOKS_MD.write_text(render_hooks(), encoding="utf-8")
    print(f"wrote {HOOKS_MD.relative_to(ROOT)}")
