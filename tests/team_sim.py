"""A team on one remote, simulated (issue 16, kind 10): the engine of
``tests/test_team_simulation.py`` and ``bench/team_sync.py``.

A store of demo customers is pushed to a bare remote and cloned once per rep's laptop. Each
clone owns the customers of its own reps (``王芳3``, ``李强3`` … for clone 3) and, in every
round, runs random realistic edits on them through the real ``kehu`` commands — new customers,
purchases (some on credit), payments, complaints moved along, field edits (level, a tag),
points redemptions, and now and then a hand-over of one rep's customers to a rep of another
clone — then ``kehu sync``. The clones of one round run at the same time, each in its own
process, so their pushes race. Every edit is logged; :func:`verify` checks that the final
store holds each one exactly once.

Ownership is what a real team has: a rep edits only the customers that are theirs in their
own clone, and a hand-over moves them to a rep of another clone, who sees them after syncing.
So no two clones edit one customer's fields at once, and nothing should ever conflict; the
ledgers (points, tiers) that purchases write for other customers merge as unions.

``python -m tests.team_sim CLONE INDEX CLONES ROUND EDITS SEED`` runs one clone's round and
prints its log as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import zlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from kehu_core.demo import REPS
from kehu_core.store import Store

TODAY = dt.date(2026, 11, 20)
LEVELS = ["普通", "银卡", "金卡", "钻石"]
ITEMS = ["龙井茶礼盒", "普洱饼", "白茶", "紫砂壶", "茶具套装"]
WEIGHTS = {"customer": 1, "purchase": 4, "payment": 2, "complaint": 2, "field": 3, "redeem": 2}
HANDOVER_CHANCE = 0.15  # per clone and round
SHARE = 20  # one customer in SHARE of the first store's is shared between clones (team_sim_cross)


def shared(cid: str) -> bool:
    """A customer of the first store set apart for edits across clones
    (:mod:`tests.team_sim_cross`): one in ``SHARE``, by a hash of the id."""
    return zlib.crc32(cid.encode()) % SHARE == 0


def reps_of(clone: int) -> list[str]:
    return [f"{rep}{clone}" for rep in REPS]


def clone_of(rep: str) -> int:
    return int(rep[len(rep.rstrip("0123456789")):])


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout


def kehu(path: Path, *args: str) -> tuple[int, str, str]:
    """One real kehu command on the clone, in this process (as the ``kehu`` script runs it)."""
    from kehu_core.testing import run_kehu

    result = run_kehu(Store.open(path, today=TODAY), *args)
    return result.code, result.out, result.err


# --- the store and its clones ----------------------------------------------------------------


def make_remote(base: Path, customers: int, clones: int, seed: int = 2026) -> tuple[Path, Path]:
    """A demo store of ``customers`` spread over the clones' reps, pushed to a bare remote.

    The sales of the customers clones share (:func:`shared`) have their points and referral
    bonuses before it is shared (``kehu points rebuild``), as in a shop that keeps points: each
    sale earned them when it was recorded. The demo's sales never went through the plugin, so a
    payment of one (which saves the sale, and the plugin then awards what it lacks) gave its
    points and the referrer's bonus late, and two clones taking a part payment of one old sale
    each gave them: a sync refused for a referral bonus given twice, rightly, for a store no shop
    has. Those customers alone, as no other is paid in two clones: a rebuild of every sale of
    10 000 customers takes about 20 minutes on the shared machine."""
    from kehu_core.demo import generate

    seedling, remote = base / "seed", base / "remote.git"
    generate(seedling, customers, seed=seed, today=TODAY, interactions_per_customer=2.0)
    for profile in (seedling / "customers").glob("*/*/customer.yaml"):
        cid = profile.parent.name.encode()  # each customer to one of its clone's four reps
        owner = f"owner: {REPS[zlib.crc32(cid[::-1]) % len(REPS)]}{zlib.crc32(cid) % clones}"
        lines = [ln for ln in profile.read_text(encoding="utf-8").splitlines()
                 if not ln.startswith("owner: ")]
        profile.write_text("\n".join([*lines, owner]) + "\n", encoding="utf-8")
    git(base, "init", "-q", "--bare", "-b", "main", str(remote))
    git(seedling, "init", "-q", "-b", "main")
    code, _, err = kehu(seedling, "git-setup")
    assert code == 0, err
    ids = [p.parent.name for p in (seedling / "customers").glob("*/*/customer.yaml")]
    code, _, err = kehu(seedling, "points", "rebuild", *sorted(filter(shared, ids)))
    assert code == 0, err
    git(seedling, "add", "-A")
    git(seedling, "commit", "-q", "-m", "the shop's customers")
    git(seedling, "remote", "add", "origin", str(remote))
    git(seedling, "push", "-q", "-u", "origin", "main")
    return seedling, remote


def make_clone(base: Path, remote: Path, clone: int) -> Path:
    path = base / f"clone{clone}"
    git(base, "clone", "-q", str(remote), str(path))
    code, _, err = kehu(path, "git-setup")
    assert code == 0, err
    return path


# --- one clone's round ---------------------------------------------------------------------


@dataclass
class Round:
    path: Path
    clone: int
    clones: int
    round: int
    rng: random.Random
    log: list[dict[str, Any]] = field(default_factory=list)
    n: int = 0
    weights: ClassVar[dict[str, int]] = WEIGHTS  # edit kind: its chance (a method of that name)

    def tag(self, what: str) -> str:
        self.n += 1
        return f"{what}{self.clone}-{self.round}-{self.n}"

    def run(self, *args: str) -> str:
        code, out, err = kehu(self.path, *args)
        if code != 0:
            raise AssertionError(f"clone {self.clone}: kehu {' '.join(args)} exited {code}: {err}")
        return out

    def store(self) -> Store:
        return Store.open(self.path, today=TODAY)

    def mine(self) -> list[str]:
        index = self.store().index
        return sorted(row.customer.id for rep in reps_of(self.clone) for row in index.list(owner=rep))

    def day(self) -> str:
        return (TODAY - dt.timedelta(days=self.rng.randint(0, 15))).isoformat()

    # the edits ---------------------------------------------------------------------------

    def customer(self, mine: list[str]) -> None:
        name, owner = self.tag("新客"), self.rng.choice(reps_of(self.clone))
        cid = self.run("customer", "add", "--name", name, "--owner", owner).strip()
        self.log.append({"kind": "customer", "customer": cid, "name": name, "owner": owner})
        mine.append(cid)

    def purchase(self, mine: list[str]) -> None:
        cid = self.rng.choice(mine)
        args = ["purchase", "add", cid, "--item", self.rng.choice(ITEMS), "--price",
                str(self.rng.randint(50, 2000)), "--date", self.day()]
        if self.rng.random() < 0.4:
            args += ["--due", (TODAY + dt.timedelta(days=30)).isoformat()]
        pid = self.run(*args).strip().splitlines()[-1]
        self.log.append({"kind": "purchase", "customer": cid, "purchase": pid})

    def payment(self, mine: list[str]) -> None:
        from kehu_core.services.payments import owing

        store = self.store()
        for cid in self.rng.sample(mine, min(len(mine), 40)):
            found = owing(store, cid)
            if found:
                purchase = self.rng.choice(found)
                amount = min(purchase.owed, Decimal(self.rng.randint(20, 800)))
                self.run("purchase", "pay", cid, purchase.id, "--amount", str(amount),
                         "--date", TODAY.isoformat())
                self.log.append({"kind": "payment", "customer": cid, "purchase": purchase.id})
                return
        self.purchase(mine)

    def complaint(self, mine: list[str]) -> None:
        listed = json.loads(self.run("complaint", "list", "--json"))
        moving = [c for c in listed if c["customer_id"] in set(mine) and c["state"] != "closed"
                  and c["text"].startswith("sim ")]
        if moving and self.rng.random() < 0.7:
            c = self.rng.choice(moving)
            step = {"open": "ack", "acknowledged": "resolve", "resolved": "close"}[c["state"]]
            self.run("complaint", step, c["customer_id"], c["id"], "--text", self.tag("处理"))
            state = {"ack": "acknowledged", "resolve": "resolved", "close": "closed"}[step]
            self.log.append({"kind": "complaint", "customer": c["customer_id"],
                             "complaint": c["id"], "state": state})
            return
        cid = self.rng.choice(mine)
        iid = self.run("interaction", "add", cid, "--kind", "complaint", "--text",
                       f"sim {self.tag('投诉')}").strip().splitlines()[-1]
        self.log.append({"kind": "complaint", "customer": cid, "complaint": iid, "state": "open"})

    def field(self, mine: list[str]) -> None:
        cid, level, tag = self.rng.choice(mine), self.rng.choice(LEVELS), self.tag("标签")
        self.run("customer", "set", cid, f"level={level}", f"tags+={tag}")
        self.log.append({"kind": "field", "customer": cid, "level": level, "tag": tag})

    def redeem(self, mine: list[str]) -> None:
        index = self.store().index
        with_points = sorted(set(index.customers_with_ledger("points.ledger.yaml")) & set(mine))
        for cid in self.rng.sample(with_points, min(len(with_points), 10)):
            balance = json.loads(self.run("points", "show", cid, "--json"))["balance"]
            if balance >= 10:
                reason = self.tag("兑换")
                self.run("points", "redeem", cid, str(self.rng.randint(10, min(balance, 200))),
                         "--reason", reason)
                self.log.append({"kind": "redeem", "customer": cid, "reason": reason})
                return
        self.purchase(mine)

    def handover(self) -> None:
        index = self.store().index
        givers = [rep for rep in reps_of(self.clone) if index.list(owner=rep)]
        if not givers or self.clones < 2:
            return
        giver = self.rng.choice(givers)
        other = self.rng.choice([c for c in range(self.clones) if c != self.clone])
        taker = self.rng.choice(reps_of(other))
        moved = sorted(row.customer.id for row in index.list(owner=giver))
        self.run("handover", giver, taker)
        self.log.append({"kind": "handover", "from": giver, "to": taker, "customers": moved})

    def play(self, edits: int) -> None:
        mine = self.mine()
        kinds, weights = zip(*self.weights.items(), strict=True)
        for _ in range(edits):
            kind = self.rng.choices(kinds, weights)[0] if mine else "customer"
            getattr(self, kind)(mine)
        if self.rng.random() < HANDOVER_CHANCE:
            self.handover()

    def sync(self) -> dict[str, Any]:
        before = (git(self.path, "rev-parse", "HEAD"), git(self.path, "status", "--porcelain"))
        code, out, err = kehu(self.path, "sync")
        after = (git(self.path, "rev-parse", "HEAD"), git(self.path, "status", "--porcelain"))
        return {"code": code, "err": err.strip()[-2000:], "as_before": before == after}


def play_round(path: Path, clone: int, clones: int, round_: int, edits: int, seed: int,
               game_of: type[Round] = Round) -> dict[str, Any]:
    game = game_of(path, clone, clones, round_, random.Random(f"{seed}:{clone}:{round_}"))
    game.play(edits)
    return {"clone": clone, "round": round_, "log": game.log, "sync": game.sync()}


def run_round(clones: list[Path], round_: int, edits: int, seed: int,
              module: str = "tests.team_sim") -> list[dict[str, Any]]:
    """Every clone's round at once, one process each (their pushes race); ``module`` plays it."""
    procs = [subprocess.Popen([sys.executable, "-m", module, str(path), str(i),
                               str(len(clones)), str(round_), str(edits), str(seed)],
                              cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for i, path in enumerate(clones)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            raise AssertionError(f"a clone's round failed: {err[-3000:]}")
        results.append(json.loads(out))
    return results


def settle(clones: list[Path], most: int = 4) -> None:
    """Sync every clone in turn until a whole pass brings nothing new (the day's last syncs)."""
    for _ in range(most):
        heads = []
        for path in clones:
            code, _, err = kehu(path, "sync")
            assert code == 0, f"{path.name}: {err}"
            heads.append(git(path, "rev-parse", "HEAD"))
        if len(set(heads)) == 1:
            return
    raise AssertionError("the clones did not settle on one commit")


# --- what must be true at the end -----------------------------------------------------------


def verify(path: Path, logs: list[dict[str, Any]], customers_at_start: int) -> Counter[str]:
    """Every logged edit is in the store at ``path`` exactly once; returns edits by kind. The one
    count of every engine: each customer is followed through merges and new ids (the kinds of
    :mod:`tests.team_sim_more`), and an edit of a customer deleted later is gone with it."""
    store = Store.open(path, today=TODAY)
    events = sorted((e for r in logs for e in [{**x, "at": (r["round"], r["clone"], n)}
                                              for n, x in enumerate(r["log"])]), key=lambda e: e["at"])
    counted = Counter(e["kind"] for e in events)
    fate = Fates(events)
    across = Counter(e["across"] for e in events if e.get("across"))  # tests.team_sim_cross's
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
            if e.get("referral") and (referrer := store.get(cid).referrer):
                # sold in two clones at once: the referrer's bonus for it is there once
                given = [int(x["delta"]) for x in store.ledger(referrer, "points")
                         if x.get("reason") == "referral" and x.get("ref") == cid]
                assert sum(given) == max([0, *given]), (e, given)  # not given twice
        elif kind == "payment":
            payments[(cid, e["purchase"])] += 1
        elif kind == "complaint":
            state[(cid, e["complaint"])] = e["state"]
        elif kind == "field":
            if not merged and e["level"]:  # merged away: the kept customer's level stays
                level[cid] = e["level"]
            if e["tag"]:
                assert e["tag"] in store.get(cid).tags, e
        elif kind == "undo":  # taken back at once: nowhere, nor the points of an undone sale
            if e.get("tag"):
                assert e["tag"] not in store.get(cid).tags, e
            else:
                assert e["purchase"] not in {i.id for i in store.interactions(cid)}, e
                assert not [x for x in store.ledger(cid, "points") if e["purchase"] in x.values()], e
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
                  for c in json.loads(kehu(path, "complaint", "list", "--json")[1])}
    for key, want in state.items():
        assert complaints[key] == want, key
    return counted + across


class Fates:
    """Where each customer went: ``fate(cid)`` is the id it has at the end (None: deleted) and
    whether it was merged away on the way (its own fields then gave way to the kept one's)."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.became: dict[str, str | None] = {}
        self.away = {e["customer"] for e in events if e["kind"] == "merge"}
        for e in events:
            if e["kind"] in ("merge", "reid", "delete"):
                self.became[e["customer"]] = e.get("keep") or e.get("new")

    def __call__(self, cid: str) -> tuple[str | None, bool]:
        merged = False
        while cid in self.became:
            merged = merged or cid in self.away
            nxt = self.became[cid]
            if nxt is None:
                return None, merged
            cid = nxt
        return cid, merged


def main(game_of: type[Round]) -> None:
    """``python -m MODULE CLONE INDEX CLONES ROUND EDITS SEED``: one clone's round, its log as JSON."""
    where, clone, clones, round_, edits, seed = sys.argv[1:7]
    print(json.dumps(play_round(Path(where), int(clone), int(clones), int(round_), int(edits),
                                int(seed), game_of)))


if __name__ == "__main__":
    main(Round)
