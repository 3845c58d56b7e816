"""``kehu check``: every problem in a store, as ``path:line: message``."""

from __future__ import annotations

from ..errors import Problem, RecordError
from ..store import Store
from ..yamlio import line_of, load_roundtrip
from . import merge


def check_store(store: Store) -> list[Problem]:
    """Validate every record; the index does the per-file work (and caches it for next time)."""
    index = store.index
    if not index.fully_compared:  # a first build (a fresh clone) just read every file
        index.refresh(full=True)  # every file's size and mtime: in-place edits too
    problems = [_explain_markers(p) for p in index.problems()]
    for rel, kind in index.files_of_kind("other", "ledger"):
        path = store.root / rel
        if kind == "other":
            problems.append(Problem(path, 1, "unexpected file: records are customers/<shard>/<id>/"
                                             "customer.yaml, interactions/*.yaml or *.ledger.yaml"))
            continue
        try:
            store.ledger(path.parent.name, path.name.removesuffix(".ledger.yaml"))
        except RecordError as exc:
            problems.extend(exc.problems)
    known = set(index.ids())
    paths = index.customer_paths()  # a Path each only when needed
    for row in index.each():
        customer = row.customer
        if customer.referrer and customer.referrer not in known:
            path = store.root / paths[customer.id]
            problems.append(Problem(path, _line(path, "referrer"),
                                    f"referrer {customer.referrer!r}: no such customer"))
        if merge.has_conflicts(customer):  # left by `kehu merge-file`
            problems.extend(merge.conflict_problems(store.root / paths[customer.id], customer))
        if store.plugins is not None:
            for plugin, messages in store.plugins.call("validate_customer", store=store, customer=customer):
                problems.extend(Problem(store.root / paths[customer.id], 1, f"{m} (plugin {plugin})")
                                for m in messages)
    for rel in index.orphan_interaction_files():
        problems.append(Problem(store.root / rel, 1, "interaction of a customer that has no customer.yaml"))
    for plugin_failure in (store.plugins.failures if store.plugins else []):
        problems.append(Problem(store.root / "kehu.yaml", 1, str(plugin_failure)))
    return sorted(set(problems), key=lambda p: (str(p.path), p.line, p.message))


def _explain_markers(problem: Problem) -> Problem:
    """A file broken by git conflict markers says so, rather than "invalid YAML"."""
    line = merge.marker_line(problem.path)
    if line is None:
        return problem
    return Problem(problem.path, line, "unresolved git merge conflict (<<<<<<< ... >>>>>>>): "
                                       "keep the right lines, delete the markers, `git add` it")


def _line(path, key: str) -> int:
    try:
        return line_of(load_roundtrip(path), [key])
    except Exception:
        return 1
