"""A differential fuzzer of kehu's YAML doors (issue 16, kind 2): the engine of
``tests/test_hostile_twentysixth_yamlfuzz.py::test_the_text_fuzzer_finds_no_door_reading_a_record_otherwise``.

Each kind of file kehu keeps is read by the doors that read it:

- a profile, an interaction, a purchase with payments: the scan (``load_scan``: ``kehu check``,
  ``show``, the lists) and the round-trip editor (``load_roundtrip``: ``customer set``, ``kehu
  edit``, a payment);
- a ledger: its reader as a whole (``load_entries``: ``check``, ``points``) and line by line
  (``ledger_entry``: ``customer merge``, a sync settling a merge, a line read back);
- a visit plan, kehu.yaml: ``load_fast`` (every command) and the editor (``kehu keys``, lines).

A valid file is changed by one to five mutations: awkward fragments inserted anywhere (`:`,
brackets, quotes, anchors, tags, `<<`, tabs, CRLF, odd numbers and dates, BOM, wide colons)
and structural changes (an indent changed, a line duplicated or swapped, document markers,
`%YAML`/`%TAG` directives, tags on values, comments in odd places, a line of spaces). The doors
disagree where one reads and another refuses, or both read other values. One refusing what
the first (the door every command asks first) reads is what kehu promises against; the first
refusing what another reads is every command's refusal, and is counted apart.

``python -m tests.text_fuzz SEED N [KIND]`` prints each class of disagreement (shrunk: the
mutations dropped while it still disagrees) with an example.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kehu_core.errors import RecordError
from kehu_core.store.ledgers import ledger_entry
from kehu_core.yamlio import YamlFileError, load_entries, load_fast, load_roundtrip, load_scan

BASES = {
    "customer": "id: c1abc\nname: 赵敏\nphones: ['+8613800138000']\ntags: [老客户, VIP]\n"
                "hobby: {最爱: 茶, 其次: 咖啡}\nbirthday: 1990-05-01\nnotes: |\n  先送样品\n\n  再谈价格\nlevel: A\n",
    "interaction": "kind: purchase\ndate: 2025-11-20\nitems:\n- name: 龙井茶礼盒\n  qty: 5\n  price: 1288.00\n"
                   "amount: 6440.00\ndue: 2025-12-20\npaid: true\nby: 刘洋\n",
    "payment": "kind: purchase\ndate: 2025-11-20\nitems:\n- name: 龙井茶礼盒\n  qty: 5\n  price: 1288.00\n"
               "amount: 6440.00\ndue: 2025-12-20\npayments:\n- {id: p1a2b3c4, date: 2025-11-25, amount: 1000.00}\n"
               "- {id: p5d6e7f8, date: 2025-12-01, amount: 440.00, note: '余款: 下月'}\nby: 刘洋\n",
    "ledger": "# tiers ledger of c1abc: append-only, one entry per line\n"
              "- {id: t1x2, date: 2026-11-20, from: null, to: 主要客户, why: 'review; pyramid: ¥39518.00'}\n"
              "- {date: 2026-07-16, reason: purchase, delta: 5960, ref: 2026-07-16-t5y91hwg, expires: 2027-07-16}\n",
    "plan": "# kehu visits plan\nowner: 刘洋\ndate: 2026-11-20\nadd:\n- c1k77zd0q0eq9063\nremove:\n"
            "- c1m770x0d6jvyjwp\norder:\n- c1k77zd0q0eq9063\n",
    "config": "# kehu store settings\nschema_version: 1\nname: 西湖茶庄 (demo)\nregion: CN\ncurrency: CNY\n"
              "today: 2026-11-20  # the shop's day\nplugins:\n  disabled: []\n",
}
FRAGMENTS = [
    ":", ": ", ":]", "[", "]", "{", "}", ",", "#", " #", "'", '"', "\\", "|", ">", "?", "-", "- ", "!", "&a", "*a",
    "&a ", "*a ", "&a:", "*a:", "&a.b ", "&中 ", "%", "@", "`", "\t", "\r\n", "\n", "  ", "...", "---", "<<: ", "<<",
    "? <<", "? ", "0x1", "1e3", ".inf", "~", "null", "yes", "2026-01-01", "12:30", "1_0", "\u00a0", "\ufeff", "x:",
    " : ", ",]", "[]", "{}", "'a':", "=", "0o7", "+1", ".5", "-.5", "!!str ", "!foo ", "!!int ", "!!binary ",
    "!!set ", "!!omap ", "!!null ", "!!timestamp ", "!!bool ", "!<tag:yaml.org,2002:str> ", "!e!x ", " # c", "#c\n",
    '"\\u00e9"', "'it''s'", "|-", ">+", "|2", "0.", "-0", "1:2", "2026-01-01T10:00:00", "2026-1-1", "0b1", "1__0",
    "+.inf", "Null", "True", "on", "off", "y", "\x7f", "\u200b", "\u3000", "ａ", "：", "'\n'",
]
STRUCTURAL = ["indent+", "indent-", "dup", "docstart", "docend", "directive", "tagdir", "tag", "comment", "crlf",
              "delchar", "swap", "blankspaces", "tabindent", "flowify"]
Mutation = tuple[str, int, str]


def _structural(text: str, rng: random.Random, op: str) -> str:
    lines = text.split("\n")
    k = rng.randrange(len(lines))
    line = lines[k]
    colon = line.find(": ")
    if op == "indent+":
        lines[k] = " " * rng.choice([1, 2, 4]) + line
    elif op == "indent-" and line.startswith(" "):
        lines[k] = line[rng.choice([1, 2]):]
    elif op == "dup":
        lines.insert(k, line)
    elif op == "docstart":
        lines.insert(k, rng.choice(["---", "--- ", "--- # c", "--- |", "---x"]))
    elif op == "docend":
        lines.insert(k, rng.choice(["...", "... # c", "...x"]))
    elif op == "directive":
        return rng.choice(["%YAML 1.2\n---\n", "%YAML 1.2\n", "%YAML 1.1\n---\n", "%FOO bar\n---\n"]) + text
    elif op == "tagdir":
        return rng.choice(["%TAG !e! tag:example.com,2000:\n---\n", "%TAG ! !foo\n---\n",
                           "%TAG !! tag:example.com,2000:\n---\n"]) + text
    elif op == "tag":
        tag = rng.choice(["!!str ", "!foo ", "!!int ", "!!float ", "!!seq ", "!!map ", "!!timestamp ", "!!bool ",
                          "!!null ", "! ", "!e!x ", "!!binary ", "!!python/object ", "!<x> "])
        lines[k] = (line[: colon + 2] + tag + line[colon + 2:] if colon >= 0
                    else "- " + tag + line[2:] if line.startswith("- ") else tag + line)
    elif op == "comment":
        j = rng.randint(0, len(line))
        lines[k] = line[:j] + rng.choice([" # c", "#c", " #", "\t# c"]) + line[j:]
    elif op == "crlf":
        return text.replace("\n", "\r\n")
    elif op == "delchar" and text:
        j = rng.randrange(len(text))
        return text[:j] + text[j + 1:]
    elif op == "swap":
        m = rng.randrange(len(lines))
        lines[k], lines[m] = lines[m], lines[k]
    elif op == "blankspaces":
        lines.insert(k, " " * rng.randint(1, 5))
    elif op == "tabindent":
        lines[k] = "\t" + line
    elif op == "flowify" and colon >= 0:
        lines[k] = line[: colon + 2] + rng.choice(["[", "{"]) + line[colon + 2:] + rng.choice(["]", "}", ""])
    return "\n".join(lines)


def mutated(base: str, mutations: list[Mutation]) -> str:
    text = base
    for how, at, what in mutations:
        text = text[:at] + what + text[at:] if how == "insert" else _structural(text, random.Random(at), what)
    return text


def plain(value: Any) -> Any:
    """A value as JSON would hold it, so that each door's types compare (ruamel's, PyYAML's, yaml-rs's)."""
    if isinstance(value, frozenset) and all(isinstance(x, tuple) for x in value):
        value = dict(value)  # PyYAML's mapping as a key
    if isinstance(value, dict):
        return {_key(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(str(plain(v)) for v in value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)) or hasattr(value, "as_integer_ratio"):
        return float(value)
    return str(value)


def _key(key: Any) -> str:
    key = plain(dict(key.items()) if hasattr(key, "items") else key)
    return key if isinstance(key, str) else json.dumps(key, sort_keys=True, default=str)


def _outcome(read: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", plain(read())
    except (YamlFileError, RecordError):
        return "refused", None
    except Exception as exc:  # noqa: BLE001 - what the fuzzer looks for
        return f"crash {type(exc).__name__}: {str(exc)[:80]}", None


def _entries(path: Path) -> Any:
    entries = load_entries(path) or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise RecordError([])  # the store's reader refuses a ledger that is no list of mappings
    return entries


def _by_line(path: Path, text: str) -> list[Any]:
    return [e for n, line in enumerate(text.split("\n"), 1) if (e := ledger_entry(line, path, n)) is not None]


def doors(kind: str, path: Path, text: str) -> dict[str, tuple[str, Any]]:
    """What each door of ``kind`` makes of ``text``, the door every command asks first first."""
    if kind == "ledger":  # its doors know a ledger by its name
        path = path.with_name("points.ledger.yaml")
    path.write_text(text, encoding="utf-8", newline="")
    if kind == "ledger":
        return {"whole": _outcome(lambda: _entries(path)), "line by line": _outcome(lambda: _by_line(path, text))}
    if kind in ("plan", "config"):
        return {"load_fast": _outcome(lambda: load_fast(path)), "editor": _outcome(lambda: load_roundtrip(path))}
    return {"scan": _outcome(lambda: load_scan(path)), "editor": _outcome(lambda: load_roundtrip(path))}


def disagreement(said: dict[str, tuple[str, Any]]) -> str | None:
    """None where the doors agree; else "crash", "first refuses", "first reads" or "values"."""
    (first, a), (_second, b) = said.items()
    if a[0].startswith("crash") or b[0].startswith("crash"):
        return "crash"
    if a[0] != b[0]:
        return "first refuses" if a[0] == "refused" else "first reads"
    if a[0] == "ok" and json.dumps(a[1], sort_keys=True) != json.dumps(b[1], sort_keys=True):
        return "values"
    return None


def fuzz(seed: int, count: int, kinds: list[str], path: Path, most: int = 5) -> dict[tuple[str, str, tuple[str, ...]],
                                                                                   list[str]]:
    """Classes of disagreement of ``count`` mutated files: (kind, disagreement, the shrunk
    mutations) -> the texts."""
    rng = random.Random(seed)
    found: dict[tuple[str, str, tuple[str, ...]], list[str]] = collections.defaultdict(list)
    for _ in range(count):
        kind = rng.choice(kinds)
        base = BASES[kind]
        mutations: list[Mutation] = []
        for _ in range(rng.randint(1, most)):
            if rng.random() < 0.3:
                mutations.append(("structural", rng.randrange(1 << 30), rng.choice(STRUCTURAL)))
            else:
                mutations.append(("insert", rng.randint(0, len(mutated(base, mutations))), rng.choice(FRAGMENTS)))
        what = disagreement(doors(kind, path, mutated(base, mutations)))
        if what is None:
            continue
        shrunk = True
        while shrunk and len(mutations) > 1:
            shrunk = False
            for i in range(len(mutations)):
                fewer = mutations[:i] + mutations[i + 1:]
                if disagreement(doors(kind, path, mutated(base, fewer))) == what:
                    mutations, shrunk = fewer, True
                    break
        found[(kind, what, tuple(m[2] for m in mutations))].append(mutated(base, mutations))
    return found


def main() -> None:
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    kinds = [sys.argv[3]] if len(sys.argv) > 3 else list(BASES)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        found = fuzz(seed, count, kinds, path)
        for (kind, what, mutations), texts in sorted(found.items(), key=lambda kv: -len(kv[1])):
            print(f"{kind}: {what} x{len(texts)} {mutations!r}\n    {texts[0]!r}")
            if what != "first refuses":
                print("    ", json.dumps(doors(kind, path, texts[0]), ensure_ascii=False, default=str)[:400])


if __name__ == "__main__":
    main()
