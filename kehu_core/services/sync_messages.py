"""What ``kehu sync`` writes as a commit message: each pending change described for people.

The message is built from the records themselves, so ``git log`` reads like a shop diary:
``赵敏: purchase 龙井茶礼盒 1288.00``. Many changes get a one-line summary
(``12 changes to 9 customers: 3 new customers, 8 purchases, 1 visit``) and one line each
in the body.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store import CUSTOMER_FILE, CUSTOMERS_DIR, INTERACTIONS_DIR, LEDGER_SUFFIX
from ..yamlio import YamlFileError, load_fast
from . import gitops

_BODY_LINES = 200  # a 5 000-contact import should not make a 5 000-line commit message


@dataclass
class Change:
    """One file's change, described for people."""

    customer_id: str | None
    customer: str  # name (or the path, for files outside customers/)
    what: str  # "purchase 龙井茶礼盒 1288.00", "new customer", "level 金卡" ...
    kind: str  # for the summary: "new customer", "purchase", "profile", "visit" ...


# --- describing changes -----------------------------------------------------------------------


def mapping_in(text: str | None) -> dict[str, Any]:
    """The mapping a YAML ``text`` holds (a profile as a commit holds it), or ``{}`` when there is no
    text, it does not parse or it is not a mapping: what a sync compares never stops it."""
    if not text:
        return {}
    import yaml

    from ..yamlio import FastLoader

    try:
        data = yaml.load(text, Loader=FastLoader)  # noqa: S506 - a safe loader
    except Exception:
        return {}
    return data if isinstance(data, dict) else {}


def mapping_at(path: Path) -> dict[str, Any]:
    """The mapping the YAML file at ``path`` holds (a profile as the merge left it), or ``{}`` when it
    cannot be read, does not parse or is not a mapping."""
    try:
        data = load_fast(path)
    except (YamlFileError, OSError):
        return {}
    return data if isinstance(data, dict) else {}


def _money(value: Any) -> str:
    try:
        return f"{float(value):.2f}"
    except (TypeError, ValueError):
        return str(value)


def describe_interaction(data: dict[str, Any]) -> str:
    kind = str(data.get("kind", "interaction"))
    if kind == "purchase":
        items = [str(i.get("name")) for i in data.get("items") or [] if isinstance(i, dict)]
        parts = ["purchase", "、".join(items[:3]) + ("…" if len(items) > 3 else "")]
        if data.get("amount") is not None:
            parts.append(_money(data["amount"]))
        return " ".join(p for p in parts if p)
    text = str(data.get("text") or "").strip().splitlines()
    short = text[0][:24] + ("…" if len(text[0]) > 24 else "") if text else ""
    if kind == "complaint" and data.get("status") == "resolved":
        kind = "complaint resolved"
    return f"{kind} {short}".strip()


def _list_delta(old: Any, new: Any) -> str:
    old_items = [str(v) for v in old] if isinstance(old, list) else []
    new_items = [str(v) for v in new] if isinstance(new, list) else []
    added = [f"+{v}" for v in new_items if v not in old_items]
    removed = [f"-{v}" for v in old_items if v not in new_items]
    return " ".join(added + removed)


def describe_profile(old: dict[str, Any], new: dict[str, Any]) -> str:
    """``level 金卡, tags +老客户`` — the fields that changed, with short values."""
    parts = []
    for key in [*new, *[k for k in old if k not in new]]:
        if key == "id" or old.get(key) == new.get(key):
            continue
        before, after = old.get(key), new.get(key)
        if isinstance(before, list) or isinstance(after, list):
            parts.append(f"{key} {_list_delta(before, after)}".strip())
        elif after is None:
            parts.append(f"{key} removed")
        elif isinstance(after, (str, int, float)) and len(str(after)) <= 20:
            parts.append(f"{key} {after}")
        else:
            parts.append(key)
    return ", ".join(parts) if parts else "profile reformatted"


def describe(root: Path, entries: list[tuple[str, str]]) -> list[Change]:
    """Each pending change (from ``git status``) as a :class:`Change`."""
    names: dict[str, str] = {}

    def name_of(cid: str, folder: Path, rel_folder: str) -> str:
        if cid not in names:
            data = mapping_at(folder / CUSTOMER_FILE) or mapping_in(
                gitops.show(root, "HEAD", f"{rel_folder}/{CUSTOMER_FILE}"))
            names[cid] = str(data.get("name") or cid)
        return names[cid]

    changes = []
    detailed = 0
    for code, rel in sorted(entries, key=lambda e: e[1]):
        parts = rel.split("/")
        path = root / rel
        deleted = "D" in code
        added = code in ("??", "A ", "AM")
        if parts[0] != CUSTOMERS_DIR or len(parts) < 4:
            what = "removed" if deleted else "added" if added else "changed"
            changes.append(Change(None, rel, what, "settings" if rel == "kehu.yaml" else "other"))
            continue
        cid = parts[2]
        name = name_of(cid, root.joinpath(*parts[:3]), "/".join(parts[:3]))
        if parts[3] == CUSTOMER_FILE:
            if added:
                changes.append(Change(cid, name, "new customer", "new customer"))
            elif deleted:
                changes.append(Change(cid, name, "customer removed", "removed customer"))
            else:
                detailed += 1
                old = mapping_in(gitops.show(root, "HEAD", rel)) if detailed <= _BODY_LINES else {}
                what = describe_profile(old, mapping_at(path)) if old else "profile"
                changes.append(Change(cid, name, what, "profile"))
        elif parts[3] == INTERACTIONS_DIR and len(parts) == 5:
            data = mapping_in(gitops.show(root, "HEAD", rel)) if deleted else mapping_at(path)
            kind = str(data.get("kind", "interaction"))
            what = describe_interaction(data)
            if deleted:
                what, kind = f"removed {what}", "removed interaction"
            elif not added:
                what, kind = f"edited {what}", "edited interaction"
            changes.append(Change(cid, name, what, kind))
        elif parts[3].endswith(LEDGER_SUFFIX):
            ledger = parts[3].removesuffix(LEDGER_SUFFIX)
            changes.append(Change(cid, name, f"{ledger} ledger", f"{ledger} entry"))
        else:
            changes.append(Change(cid, name, f"{'/'.join(parts[3:])} changed", "other"))
    return changes


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n} {word}es" if word.endswith(("s", "ch", "sh", "x")) else f"{n} {word}s"


def commit_message(changes: list[Change]) -> str:
    """A subject saying what changed, and for many changes one body line per customer."""
    by_customer: dict[str, list[Change]] = {}
    for change in changes:
        by_customer.setdefault(change.customer, []).append(change)
    lines = []
    for who, mine in by_customer.items():
        # ledger lines follow from purchases (points, tiers): named only when alone
        shown = [c for c in mine if not c.kind.endswith(" entry")] or mine
        lines.append(f"{who}: {', '.join(dict.fromkeys(c.what for c in shown))}")
    if len(lines) == 1 and len(lines[0]) <= 72:
        return lines[0]
    counted = [c for c in changes if not c.kind.endswith(" entry")] or changes
    kinds = Counter(c.kind for c in counted)
    profiles = kinds.pop("profile", 0)
    summary = [_plural(n, k) for k, n in kinds.most_common()]
    if profiles:
        summary.append(_plural(profiles, "profile edit"))
    customers = {c.customer_id for c in changes if c.customer_id}
    if len(by_customer) == 1:
        subject = f"{changes[0].customer}: {_plural(len(counted), 'change')} ({', '.join(summary)})"
    else:
        subject = (f"{_plural(len(counted), 'change')} to {_plural(len(customers), 'customer')}: "
                   f"{', '.join(summary)}")
    body = lines[:_BODY_LINES]
    if len(lines) > _BODY_LINES:
        body.append(f"... and {len(lines) - _BODY_LINES} more")
    return subject + "\n\n" + "\n".join(body)
