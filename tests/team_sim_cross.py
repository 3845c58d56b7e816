"""The team simulation (:mod:`tests.team_sim_more`) with edits across clones, which the other
engines keep apart: in every round two clones (drawn alike in every clone's process) act on one
customer at the same time — one merges a duplicate (``kehu customer merge``) while the other
tags it and records a sale on it, or both take a part payment of one credit sale
(``kehu purchase pay``) — and every rep now and then takes their own last change back
(``kehu undo``: a tag, or a sale with its points). :func:`tests.team_sim.verify` counts each:
the tag and the sale of the customer merged away are on the one kept, both payments are on the
sale, and what was undone is nowhere.

The customers the two clones share are set apart from the start (a twentieth of the first
store's, by a hash of the id), so that no other edit merges, renames or deletes them: two of
them a round, ``SHARED[2r]`` and ``SHARED[2r+1]``.

``python -m tests.team_sim_cross CLONE INDEX CLONES ROUND EDITS SEED`` runs one clone's round.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal
from functools import cached_property
from typing import Any

from . import team_sim
from .team_sim import ITEMS, TODAY, git, shared
from .team_sim_more import MoreRound

verify = team_sim.verify  # one count for every engine


class CrossRound(MoreRound):
    weights = {**MoreRound.weights, "undo": 1}

    @cached_property
    def shared(self) -> list[str]:
        """The first store's customers set apart for edits across clones, alike in every clone."""
        root = git(self.path, "rev-list", "--max-parents=0", "HEAD").split()[0]
        files = git(self.path, "ls-tree", "-r", "--name-only", root, "customers").split()
        ids = {f.split("/")[2] for f in files if f.endswith("/customer.yaml")}
        return sorted(filter(shared, ids))

    def mine(self) -> list[str]:
        shared = set(self.shared)
        return [cid for cid in super().mine() if cid not in shared]

    def undo(self, mine: list[str]) -> None:
        """A rep's own last change taken back at once: a tag set by mistake, or a sale (and the
        points it gave) entered on the wrong customer."""
        cid = self.rng.choice(mine)
        if self.rng.random() < 0.5:
            tag = self.tag("撤销")
            self.run("customer", "set", cid, f"tags+={tag}")
            self.run("undo")
            self.log.append({"kind": "undo", "customer": cid, "tag": tag})
            return
        pid = self.run("purchase", "add", cid, "--item", self.rng.choice(ITEMS), "--price",
                       str(self.rng.randint(50, 2000)), "--date", self.day()).strip().splitlines()[-1]
        self.run("undo")
        self.log.append({"kind": "undo", "customer": cid, "purchase": pid})

    def across(self) -> None:
        """This round's edit across two clones, if this clone is one of the two."""
        if self.clones < 2 or len(self.shared) < 2 * self.round + 2:
            return
        one, other, merging = self.plan(self.round)
        keep, gone = self.shared[2 * self.round:2 * self.round + 2]
        if merging:  # a duplicate merged in one clone, edited in the other
            if self.clone == one:
                self.run("customer", "merge", keep, gone)
                self.log.append({"kind": "merge", "keep": keep, "customer": gone, "across": "merged"})
            elif self.clone == other:
                tag = self.tag("并前")
                self.run("customer", "set", gone, f"tags+={tag}")
                self.log.append({"kind": "field", "customer": gone, "level": None, "tag": tag,
                                 "across": "tagged while merged"})
                pid = self.run("purchase", "add", gone, "--item", ITEMS[0], "--price", "88",
                               "--date", TODAY.isoformat()).strip().splitlines()[-1]
                self.log.append({"kind": "purchase", "customer": gone, "purchase": pid,
                                 "across": "sold while merged"})
        elif self.clone in (one, other):  # one credit sale, a part paid in each clone
            self.pay_a_part(keep)

    def plan(self, round_: int) -> tuple[int, int, bool]:
        """A round's two clones, and whether one merges a duplicate (else both pay a part),
        drawn alike in every clone's process."""
        plan = random.Random(f"across:{round_}")
        one, other = plan.sample(range(self.clones), 2)
        return one, other, plan.random() < 0.5

    def merged_away(self) -> set[str]:
        """The shared customers the rounds so far merged into another (alike in every clone)."""
        return {self.shared[2 * r + 1] for r in range(self.round)
                if len(self.shared) >= 2 * r + 2 and self.plan(r)[2]}

    def pay_a_part(self, cid: str) -> None:
        """The first shared customer (by id) owing on a sale, else ``cid``: both clones pick the
        same one, as neither has paid it yet this round."""
        from kehu_core.services.payments import owing

        store, away, found = self.store(), self.merged_away(), []
        for candidate in [c for c in self.shared if c not in away]:
            found = sorted((p for p in owing(store, candidate) if p.owed >= 10), key=lambda p: p.id)
            if found:
                cid = candidate
                break
        if not found:  # no sale owing: each clone sells to the customer at once instead
            pid = self.run("purchase", "add", cid, "--item", ITEMS[1], "--price", "66",
                           "--date", TODAY.isoformat()).strip().splitlines()[-1]
            self.log.append({"kind": "purchase", "customer": cid, "purchase": pid,
                             "across": "sold in two clones", "referral": True})
            return
        self.run("purchase", "pay", cid, found[0].id, "--amount", str(Decimal(1)),
                 "--date", TODAY.isoformat())
        self.log.append({"kind": "payment", "customer": cid, "purchase": found[0].id,
                         "across": "paid in two clones"})

    def play(self, edits: int) -> None:
        self.across()
        super().play(edits)

    def sync(self) -> dict[str, Any]:
        """A sync refused because two clones gave one thing twice is followed as a rep follows
        it: the command it names (`kehu points void ID`: each clone recorded a referred
        customer's first sale, each giving the referrer the bonus), then `kehu sync` again."""
        synced = super().sync()
        for _ in range(3):
            named = re.search(r"`kehu points void (\w+)`", synced["err"])
            if synced["code"] == 0 or not named:
                break
            self.run("points", "void", named[1])
            self.log.append({"kind": "took back", "entry": named[1]})
            synced = super().sync()
        return synced


if __name__ == "__main__":
    team_sim.main(CrossRound)
