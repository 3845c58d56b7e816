"""What the language tests count as the user's data: the text a person wrote into the records.

The records also keep codes kehu writes and says in the viewer's language at display: an
interaction's ``kind: visit``, a points entry's ``reason: purchase``, a tier move's ``why:
review; pyramid: ...``, a complaint's ``status: open``, a message's ``channel: sms``. A word that
is only one of those is kehu's, not the user's: shown untranslated, it is a leak (the tests
that read the whole store as "data" missed ``purchase`` in ``kehu points`` for that reason).
So do the built-in names of tiers and holidays (kehu_core.names) where kehu keeps them: a tier
move's ``to:``, a ``tier_override``, a reminder's key. A tag a person wrote that happens to be
one of them (新客户) is theirs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")

#: keys whose values are kehu's codes, not text a person wrote (besides ids and dates)
CODED = {"kind", "reason", "why", "channel", "status", "region", "currency", "id", "ref", "referrer",
         "scheme", "from", "to", "lifecycle", "attitude", "language", "today", "type", "tier_override", "key"}


def _strings(value: Any, key: str | None) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, str(k))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, key)]
    if isinstance(value, str) and key not in CODED:
        return [value]
    return []


def user_text(store: Path) -> str:
    """Every string a person wrote into ``store``'s records (values, not keys; no codes)."""
    texts: list[str] = []
    for path in sorted(store.rglob("*.yaml")):
        if ".kehu" in path.parts or path.is_symlink() or not path.is_file():  # a FIFO would block
            continue
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue
        if path.name == "kehu.yaml":
            loaded = (loaded or {}).get("name", "")  # the shop's name; the rest is configuration
        texts.extend(_strings(loaded, None))
    return "\n".join(texts)


def data_words(data: str) -> set[str]:
    """The Latin words of ``data`` (user_text)."""
    return set(re.findall(r"[A-Za-z]+", data))
