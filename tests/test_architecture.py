"""The codebase's own rules, checked on its sources (DEVELOPERS.md: time is data, one home
per rule, no import cycles). Each failure names the file and line to look at."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .conftest import ROOT

SOURCES = ("kehu_core", "plugins", "tui")
WALL_CLOCK = re.compile(r"\bdate\.today\(|\bdatetime\.now\(|\bdatetime\.today\(|\btime\.localtime\(|"
                        r"\bdatetime\.utcnow\(|\btime\.time\(")


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if "tests" not in p.parts)


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in python_files(*SOURCES) if path != ROOT / "kehu_core" / "clock.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if WALL_CLOCK.search(line)]
    assert found == []


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every kehu_core module ``path`` imports, at the top or inside a function (lazy)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [f"{stem}.{alias.name}" for alias in node.names] + [stem]
        else:
            continue
        if isinstance(node, ast.ImportFrom) and _in_type_checking(tree, node):
            continue
        for target in targets:
            # the deepest known module the name starts with: `from .x import y` is x, or x.y
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("kehu_core"):
                found.add(target)
    return found


def _in_type_checking(tree: ast.AST, node: ast.AST) -> bool:
    for block in ast.walk(tree):
        if (isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                and any(child is node for child in ast.walk(block))):
            return True
    return False


def test_no_import_cycle_in_kehu_core_lazy_imports_included() -> None:
    files = {_module_name(p): p for p in python_files("kehu_core")}
    known = set(files)
    graph = {name: _imports(path, name, known) for name, path in files.items()}
    for name, deps in graph.items():
        # a module naming its own package (``from . import x``) is Python running the package's
        # __init__ first, not a dependency of ours
        graph[name] = {d for d in deps if not name.startswith(d + ".")}
    cycles = _cycles(graph)
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_the_store_sits_below_the_services_lazy_imports_included() -> None:
    """kehu_core.store imports nothing of kehu_core.services, not even through a module it
    imports: the services drive the store (a sync, an import, git's history), and what the
    store needs of git is below it (kehu_core.gitrun, kehu_core.sync_marker). Each line is a
    chain from a store module to a service."""
    files = {_module_name(p): p for p in python_files("kehu_core")}
    graph = {name: _imports(path, name, set(files)) for name, path in files.items()}
    came_from: dict[str, str] = {}
    todo = [name for name in graph if name == "kehu_core.store" or name.startswith("kehu_core.store.")]
    while todo:
        name = todo.pop()
        for dep in graph[name]:
            if dep not in came_from and not dep.startswith("kehu_core.store"):
                came_from[dep] = name
                todo.append(dep)

    def chain(name: str) -> str:
        links = [name]
        while links[-1] in came_from:
            links.append(came_from[links[-1]])
        return " <- ".join(links)

    reached = [chain(name) for name in sorted(came_from)
               if name == "kehu_core.services" or name.startswith("kehu_core.services.")]
    assert reached == [], "\n".join(reached)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(graph.get(node, ())):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_the_tui_shows_a_records_text_as_written() -> None:
    """Textual reads a str in a Static, a Label or a DataTable cell as markup: a customer named
    "[/]" ended the TUI (tests/test_hostile_markup.py). Every one of them comes from
    tui/widgets/plain_text.py or plain_table.py, which read none."""
    offenders = []
    for path in sorted((ROOT / "tui").rglob("*.py")):
        if path.name in ("plain_text.py", "plain_table.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "textual.widgets":
                names = {a.name for a in node.names} & {"Static", "Label"}
                if names:
                    offenders.append(f"{path.relative_to(ROOT)}: imports {sorted(names)}")
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(b, ast.Name) and b.id == "DataTable" for b in node.bases):
                offenders.append(f"{path.relative_to(ROOT)}: {node.name}(DataTable)")
    assert not offenders, offenders
