"""The values of a vCard's properties as kehu keeps them (:func:`.vcard.contact_from_card`):
a TEL's number, an N's name, an ADR's address, a label, a UID usable as an id, an X-KEHU-
value and what is kept as extra data."""

from __future__ import annotations

import json
import re
from typing import Any

from ...ids import check_id

# Labels that only say what kind of number it is; anything else (店里电话) is kept.
_PLAIN_LABELS = {"cell", "mobile", "home", "work", "other", "main", "pref", "voice", "internet",
                 "x400", "iphone", "x-mobile", "msg", "bbs", "modem", "car", "video", "pcs"}
_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")


def line_label(line: Any, group_labels: dict[str, str]) -> str | None:
    if line.group and line.group.lower() in group_labels:
        label = group_labels[line.group.lower()]
        return None if label.lower() in _PLAIN_LABELS else label
    types = [t for t in line.params.get("TYPE", []) for t in t.split(",")]
    types += list(getattr(line, "singletonparams", []))
    kept = [t for t in types if t.lower() not in _PLAIN_LABELS and t.upper() not in (
        "QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "UTF-8")]
    return ",".join(t.lower() for t in kept) or None


def label_text(raw: str) -> str:
    match = _APPLE_LABEL.match(raw.strip())
    return (match.group(1) if match else raw).strip()


def tel(raw: str) -> str:
    return raw.strip().removeprefix("tel:")


def name_from_n(value: Any) -> str:
    family = _join(getattr(value, "family", ""))
    given = _join(getattr(value, "given", ""))
    additional = _join(getattr(value, "additional", ""))
    if _is_cjk(family + given):
        return f"{family}{given}".strip()
    return " ".join(p for p in (given, additional, family) if p).strip()


def address_of(value: Any) -> str:
    parts = [_join(getattr(value, attr, "")) for attr in
             ("box", "extended", "street", "city", "region", "code", "country")]
    parts = [" ".join(p.split("\n")).strip() for p in parts]
    return ", ".join(p for p in parts if p)


def _join(value: Any) -> str:
    return " ".join(value).strip() if isinstance(value, list) else str(value or "").strip()


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def usable_id(uid: str) -> bool:
    # kehu's own ids (and short user ids) are kept; long UUIDs of phone apps are not ids we want.
    if len(uid) > 32:
        return False
    try:
        check_id(uid)
    except Exception:
        return False
    return True


def kehu_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # JSON nested past Python's stack is text, as kehu wrote it
        return raw


def plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value)


def add_extra(extra: dict[str, Any], key: str, value: Any) -> None:
    if value in ("", []):
        return
    if key in extra:
        old = extra[key] if isinstance(extra[key], list) else [extra[key]]
        extra[key] = [*old, value]
    else:
        extra[key] = value
