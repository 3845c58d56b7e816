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
import re
import shutil

from . import team_sim
from .team_sim import LEVELS, Round, reps_of

verify = team_sim.verify  # one count for every engine: it follows merges, new ids and deletions
MORE = {"merge": 1, "reid": 1, "delete": 1, "sheet": 1, "hand": 2}


class MoreRound(Round):
    weights = {**team_sim.WEIGHTS, **MORE}

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


if __name__ == "__main__":
    team_sim.main(MoreRound)
