"""The team simulation (:mod:`tests.team_sim`) with the edits a team also makes: a customer
merged into another of the rep's (``kehu customer merge``), given a new id (``kehu customer
reid``), deleted by hand (its folder removed in a file manager), new customers imported from a
sheet (``kehu import``), and a field edited by hand in the profile's file. Each still on the
rep's own customers, so nothing should conflict; :func:`verify` follows every id through the
merges, new ids and deletions and checks that each edit is there exactly once (or gone with
its customer).

``python -m tests.team_sim_more CLONE INDEX CLONES ROUND EDITS SEED`` runs one clone's round.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from kehu_core.store import Store

from . import team_sim
from .team_sim import LEVELS, TODAY, Round, reps_of

MORE = {"merge": 1, "reid": 1, "delete": 1, "sheet": 1, "hand": 2}


class MoreRound(Round):
    def merge(self, mine: list[str]) -> None:
        if len(mine) < 3:
            return self.purchase(mine)
        keep, gone = self.rng.sample(mine, 2)
        self.run("customer", "merge", keep, gone)
        mine.remove(gone)
        self.log.append({"kind": "merge", "keep": keep, "customer": gone})
        return None

    def reid(self, mine: list[str]) -> None:
        old = self.rng.choice(mine)
        new = self.run("customer", "reid", old).split()[-1]
        mine[mine.index(old)] = new
        self.log.append({"kind": "reid", "customer": old, "new": new})

    def delete(self, mine: list[str]) -> None:
        if len(mine) < 3:
            return self.purchase(mine)
        store = self.store()  # one no other customer names as its referrer (check would refuse that)
        named = {referrer for _cid, _name, referrer, _created in store.index.referrals()}
        free = [cid for cid in mine if cid not in named]
        if not free:
            return self.purchase(mine)
        cid = self.rng.choice(free)
        shutil.rmtree(store.customer_dir(cid))
        mine.remove(cid)
        self.log.append({"kind": "delete", "customer": cid})
        return None

    def sheet(self, mine: list[str]) -> None:
        names = [self.tag("表客") for _ in range(self.rng.randint(1, 3))]
        owner = self.rng.choice(reps_of(self.clone))
        sheet = self.path.parent / f"sheet-{self.clone}-{self.round}-{self.n}.csv"
        sheet.write_text("姓名,负责人\n" + "".join(f"{n},{owner}\n" for n in names), encoding="utf-8")
        self.run("import", str(sheet))
        listed = {c["name"]: c["id"] for c in json.loads(self.run("customer", "list", "--json", "--owner", owner))}
        for name in names:
            mine.append(listed[name])
            self.log.append({"kind": "customer", "customer": listed[name], "name": name, "owner": owner})

    def hand(self, mine: list[str]) -> None:
        cid, level = self.rng.choice(mine), self.rng.choice(LEVELS)
        path = self.store().customer_file(cid)
        text = path.read_text(encoding="utf-8")
        text, found = re.subn(r"(?m)^level: .*$", f"level: {level}", text)
        path.write_text(text if found else text.rstrip("\n") + f"\nlevel: {level}\n", encoding="utf-8")
        self.log.append({"kind": "field", "customer": cid, "level": level, "tag": None})

    def play(self, edits: int) -> None:
        weights = {**team_sim.WEIGHTS, **MORE}
        mine = self.mine()
        kinds, chances = zip(*weights.items(), strict=True)
        for _ in range(edits):
            kind = self.rng.choices(kinds, chances)[0] if mine else "customer"
            getattr(self, kind)(mine)
        if self.rng.random() < team_sim.HANDOVER_CHANCE:
            self.handover()


def play_round(path: Path, clone: int, clones: int, round_: int, edits: int, seed: int) -> dict[str, Any]:
    game = MoreRound(path, clone, clones, round_, random.Random(f"{seed}:{clone}:{round_}"))
    game.play(edits)
    return {"clone": clone, "round": round_, "log": game.log, "sync": game.sync()}


def verify(path: Path, logs: list[dict[str, Any]], customers_at_start: int) -> Counter[str]:
    """Every logged edit is in the store at ``path`` exactly once, its customer followed through
    merges and new ids; an edit of a customer deleted later is gone with it."""
    store = Store.open(path, today=TODAY)
    events = sorted((e for r in logs for e in [{**x, "at": (r["round"], r["clone"], n)}
                                              for n, x in enumerate(r["log"])]), key=lambda e: e["at"])
    counted = Counter(e["kind"] for e in events)
    became: dict[str, str | None] = {}
    away = {e["customer"] for e in events if e["kind"] == "merge"}
    for e in events:
        if e["kind"] in ("merge", "reid", "delete"):
            became[e["customer"]] = e.get("keep") or e.get("new")

    def fate(cid: str) -> tuple[str | None, bool]:
        """The id the customer has at the end (None: deleted), and whether it was merged away."""
        merged = False
        while cid in became:
            merged = merged or cid in away
            nxt = became[cid]
            if nxt is None:
                return None, merged
            cid = nxt
        return cid, merged

    ids = list(store.iter_customer_ids())
    assert len(ids) == len(set(ids)), "an id twice"
    gone = counted["merge"] + counted["delete"]
    assert len(ids) == customers_at_start + counted["customer"] - gone, (len(ids), customers_at_start, counted)
    names = Counter(row.customer.name for row in store.index.list())
    owner: dict[str, str] = {}
    level: dict[str, str] = {}
    state: dict[tuple[str, str], str] = {}
    payments: Counter[tuple[str, str]] = Counter()
    for e in events:
        cid, merged = fate(e["customer"]) if e.get("customer") else (None, False)
        kind = e["kind"]
        if kind == "handover":
            for moved in e["customers"]:
                if (now := fate(moved))[0] is not None and not now[1]:
                    owner[now[0]] = e["to"]
        elif cid is None:
            continue  # deleted later, with all it held
        elif kind == "customer":
            if not merged:
                assert names[e["name"]] == 1, e  # there, once
                owner[cid] = e["owner"]
        elif kind == "purchase":
            assert store.get_interaction(cid, e["purchase"]).kind == "purchase", e
        elif kind == "payment":
            payments[(cid, e["purchase"])] += 1
        elif kind == "complaint":
            state[(cid, e["complaint"])] = e["state"]
        elif kind == "field":
            if not merged:  # merged away: the kept customer's level stays
                level[cid] = e["level"]
            if e["tag"]:
                assert e["tag"] in store.get(cid).tags, e
        elif kind == "redeem":
            notes = [x.get("note") for x in store.ledger(cid, "points")]
            assert notes.count(e["reason"]) == 1, (e, notes.count(e["reason"]))
    for (cid, pid), count in payments.items():
        assert len(store.get_interaction(cid, pid).payments) == count, (cid, pid)
    for cid, want in level.items():
        assert store.get(cid).level == want, (cid, store.get(cid).level, want)
    for cid, want in owner.items():
        assert store.get(cid).owner == want, (cid, store.get(cid).owner, want)
    complaints = {(c["customer_id"], c["id"]): c["state"]
                  for c in json.loads(team_sim.kehu(path, "complaint", "list", "--json")[1])}
    for key, want in state.items():
        assert complaints[key] == want, key
    return counted


if __name__ == "__main__":
    where, clone, clones, round_, edits, seed = sys.argv[1:7]
    print(json.dumps(play_round(Path(where), int(clone), int(clones), int(round_), int(edits), int(seed))))
