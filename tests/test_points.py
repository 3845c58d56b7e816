"""The points plugin on real stores: earning, multipliers, referrals, redemption, expiry."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

from kehu_core.ids import entry_id
from kehu_core.models import Customer
from kehu_core.store import open_store

from .conftest import TODAY, git, kehu
from .pluginutil import add_customer, buy, configure


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def balance(store: Path, cid: str, *args: str) -> int:
    result = kehu("points", cid, "--json", *args, store=store)
    assert result.code == 0, result.err
    return result.json()["balance"]


def test_points_per_amount_with_level_multiplier(store_path: Path) -> None:
    configure(store_path, points={"per_amount": 1, "unit": 10, "multipliers": {"金卡": 2}})
    gold = add_customer(store_path, "赵敏", "--level", "金卡")
    plain = add_customer(store_path, "钱多多")
    buy(store_path, gold, "1288", ago(1))
    buy(store_path, plain, "1288", ago(1))
    assert balance(store_path, gold) == 257  # floor(128.8 × 2)
    assert balance(store_path, plain) == 128
    entry = open_store(store_path).ledger(gold, "points")[0]
    assert entry["reason"] == "purchase" and entry["multiplier"] == 2
    shown = kehu("customer", "show", gold, "--json", store=store_path).json()
    assert shown["points"] == 257


def test_referrer_gets_a_bonus_on_the_first_purchase_only(store_path: Path) -> None:
    configure(store_path, points={"referral_bonus": 200})
    friend = add_customer(store_path, "介绍人")
    newbie = add_customer(store_path, "新客", "--referrer", friend)
    buy(store_path, newbie, 100, ago(2))
    buy(store_path, newbie, 100, ago(1))
    ledger = open_store(store_path).ledger(friend, "points")
    assert [(e["reason"], e["delta"], e["ref"]) for e in ledger] == [("referral", 200, newbie)]
    assert balance(store_path, friend) == 200
    assert balance(store_path, newbie) == 200  # two purchases of ¥100


def test_redeeming_more_than_the_balance_is_refused(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 300, ago(1))
    path = open_store(store_path).ledger_file(cid, "points")
    before = path.read_bytes()
    refused = kehu("points", "redeem", cid, "301", store=store_path)
    assert refused.code == 1
    assert "has 300 points; cannot redeem 301" in refused.err
    assert path.read_bytes() == before
    assert kehu("points", "redeem", cid, "0", store=store_path).code == 2

    ok = kehu("points", "redeem", cid, "120", "--reason", "青瓷茶杯", store=store_path)
    assert ok.code == 0, ok.err
    assert balance(store_path, cid) == 180
    last = open_store(store_path).ledger(cid, "points")[-1]
    assert len(last.pop("id")) == 10  # its identity (two equal redemptions stay two in a merge)
    assert last == {"date": TODAY, "reason": "redeem", "delta": -120, "note": "青瓷茶杯"}


def test_points_lapse_after_the_configured_period_oldest_first(store_path: Path) -> None:
    configure(store_path, points={"expiry_days": 30})
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 100, ago(40))  # lapsed 10 days ago
    buy(store_path, cid, 50, ago(25))  # lapses in 5 days
    buy(store_path, cid, 70, ago(1))  # lapses in 29 days
    assert balance(store_path, cid) == 120
    assert kehu("points", cid, "--json", store=store_path).json()["lapsed_not_written_off"] == 100
    # spending 60 uses the 50 about to lapse, then 10 of the newest
    assert kehu("points", "redeem", cid, "60", store=store_path).code == 0
    ledger = open_store(store_path).ledger(cid, "points")
    assert [e["reason"] for e in ledger][-2:] == ["expire", "redeem"]
    assert ledger[-2]["delta"] == -100
    assert balance(store_path, cid) == 60
    assert balance(store_path, cid, "--as-of", (TODAY + dt.timedelta(days=10)).isoformat()) == 60
    assert balance(store_path, cid, "--as-of", (TODAY + dt.timedelta(days=40)).isoformat()) == 0

    swept = kehu("points", "expire", "--json", store=store_path)
    assert swept.code == 0 and swept.json() == []  # already written off by the redemption


def test_rebuild_awards_old_purchases_once(demo_copy: Path) -> None:
    for ledger in demo_copy.glob("customers/*/*/points.ledger.yaml"):  # as before the plugin was on
        ledger.unlink()
    dry = kehu("points", "rebuild", "--since", "2026-11-01", "--dry-run", "--json", store=demo_copy)
    assert dry.code == 0, dry.err
    assert dry.json() and all(e["reason"] == "purchase" for e in dry.json())
    store = open_store(demo_copy)
    assert not list(demo_copy.glob("customers/*/*/points.ledger.yaml"))

    first = kehu("points", "rebuild", "--since", "2026-11-01", "--json", store=demo_copy).json()
    earned = [e for e in first if e["reason"] == "purchase"]
    assert len(earned) == len(dry.json())
    november = [p for p in store.index.purchases(since="2026-11-01")]
    assert len(earned) == len(november)
    again = kehu("points", "rebuild", "--since", "2026-11-01", "--json", store=demo_copy).json()
    assert again == []
    cid = earned[0]["customer_id"]
    assert balance(demo_copy, cid, "--as-of", "2026-11-20") >= earned[0]["delta"]


def test_a_purchases_points_are_given_once_however_its_ledger_line_is_written(store_path: Path) -> None:
    """`store.ledger_has` skips reading a ledger that does not hold the purchase's id at all
    (a regular's long ledger, on every sale); a line that does hold it, quoted by a hand edit
    among hundreds of others, still counts: the purchase earns nothing twice."""
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 100, ago(3))
    store = open_store(store_path)
    path = store.ledger_file(cid, "points")
    [earned] = store.ledger(cid, "points")
    ref = earned["ref"]
    others = "".join(f"- {{date: {ago(10)}, reason: adjust, delta: 1, ref: other-{n}}}\n" for n in range(300))
    path.write_text(path.read_text(encoding="utf-8").replace(f"ref: {ref}", f"ref: '{ref}'") + others,
                    encoding="utf-8")
    assert store.ledger_has(cid, "points", reason="purchase", ref=ref)
    assert not store.ledger_has(cid, "points", reason="purchase", ref="2026-11-17-nothere1")
    assert not store.ledger_has(cid, "points", reason="void", ref=ref)  # every value must match
    again = kehu("points", "rebuild", "--since", ago(30), "--json", store=store_path)
    assert again.code == 0, again.err
    assert again.json() == []
    assert balance(store_path, cid) == 100 + 300


def test_two_clones_earning_merge_without_conflict(store_path: Path, tmp_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 100, ago(3))
    git(store_path, "add", "-A")
    git(store_path, "commit", "-qm", "first purchase")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(store_path), str(clone)], check=True)
    buy(store_path, cid, 10, ago(2))
    buy(clone, cid, 20, ago(1))
    for repo in (store_path, clone):
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "purchase")
    git(store_path, "pull", "-q", "--no-rebase", "--no-edit", str(clone), "HEAD")
    assert balance(store_path, cid) == 130
    assert kehu("check", store=store_path).code == 0


def test_broken_ledger_line_is_reported_with_its_line(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 100, ago(3))
    path = open_store(store_path).ledger_file(cid, "points")
    path.write_text(path.read_text() + "- {date: 2026-13-45, reason: adjust, delta: 5}\n")
    result = kehu("points", cid, store=store_path)
    assert result.code == 1
    assert f"{path}:3: date: Input should be a valid date" in result.err  # the core ledger rule
    assert kehu("check", store=store_path).code == 1  # and kehu check finds it


def test_bad_points_settings_are_reported(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    configure(store_path, points={"expiry_days": "soon"})  # declared (settings_model): every command stops
    for args in (["points", cid], ["customer", "add", "--name", "钱多多"]):
        result = kehu(*args, store=store_path)
        assert result.code == 1, args
        assert "kehu.yaml:" in result.err and "plugins.points.expiry_days" in result.err


def test_a_list_counts_the_ledgers_there_are(store_path: Path) -> None:
    """A list's balances (``customer list``, a phone's address book) read only the ledgers the
    index knows: a customer without one shows 0, and a ledger that arrives outside kehu (a
    pull from another clone) is counted by the next list. 30 customers: more than a list
    looks up one by one before asking the index for everyone's ledgers."""
    store = open_store(store_path)
    ids = sorted(store.add_customer(Customer(id=store.new_customer_id(), name=f"客户{n}", created=TODAY)).id
                 for n in range(30))
    store.append_ledger(ids[-1], "points", {"date": TODAY, "reason": "adjust", "delta": 300})

    def listed() -> dict[str, int]:
        result = kehu("customer", "list", "--json", store=store_path)
        assert result.code == 0, result.err
        return {c["id"]: c["points"] for c in result.json()}

    assert listed() == {cid: 300 if cid == ids[-1] else 0 for cid in ids}
    pulled = ids[10:20]  # ledgers written by another clone, then pulled
    text = store.ledger_file(ids[-1], "points").read_text(encoding="utf-8")
    for cid in pulled:
        store.ledger_file(cid, "points").write_text(text, encoding="utf-8")
    assert listed() == {cid: 300 if cid in (*pulled, ids[-1]) else 0 for cid in ids}


def test_points_spent_twice_are_a_problem_a_void_or_a_lapse_is_not(store_path: Path) -> None:
    """The points plugin's ledger rule (hook ``validate_ledger``): a redemption, or a write-off of
    lapsed points, taking the points left below zero is what two clones' ledgers merged by git
    make (each clone's line within the balance it saw), reported at its line; a
    balance below zero that a void leaves (the points were spent before the sale was voided),
    or lapsed points written off, is not."""
    configure(store_path, points={"expiry_days": 30})
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 100, ago(40))  # lapsed 10 days ago
    sale = buy(store_path, cid, 50, ago(5)).splitlines()[-1]
    assert kehu("points", "redeem", cid, "40", store=store_path).code == 0  # the 100 written off first
    assert kehu("purchase", "void", cid, sale, "--reason", "退货", store=store_path).code == 0
    assert balance(store_path, cid) == -40
    assert kehu("check", store=store_path).code == 0
    # what another clone's redemption and write-off, merged in, add
    store = open_store(store_path)
    with store.ledger_file(cid, "points").open("a", encoding="utf-8") as merged:  # as git's union writes them
        merged.write(f"- {{id: {entry_id()}, date: {TODAY}, reason: expire, delta: -100}}\n"
                     f"- {{id: {entry_id()}, date: {TODAY}, reason: redeem, delta: -30}}\n")
    checked = kehu("check", store=store_path)
    assert checked.code == 1
    ledger = f"{store.rel(store.ledger_file(cid, 'points'))}"
    assert f"{ledger}:7: writes off 100 lapsed points when 10 were left (the balance would be -90)" \
        in checked.out, checked.out
    assert f"{ledger}:8: redeems 30 points when 10 were left (the balance would be -20)" in checked.out
    assert checked.out.count("(plugin points)") == 2


def test_points_that_lapse_the_day_they_are_given_are_named_at_their_line(store_path: Path) -> None:
    """A ledger line edited by hand to ``expires: 0001-01-01`` (or the sale's own day) passed
    `kehu check`, and the points lapsed at once: the balance short by them, nothing said."""
    configure(store_path, points={"expiry_days": 30})
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 100, ago(5))
    buy(store_path, cid, 50, ago(2))
    assert balance(store_path, cid) == 150
    store = open_store(store_path)
    path = store.ledger_file(cid, "points")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    earned = [n for n, line in enumerate(lines) if "reason: purchase" in line]
    assert len(earned) == 2, lines
    given = (TODAY - dt.timedelta(days=5)).isoformat()
    lines[earned[0]] = re.sub(r"expires: [0-9-]+", "expires: 0001-01-01", lines[earned[0]])
    lines[earned[1]] = re.sub(r"expires: [0-9-]+", f"expires: {(TODAY - dt.timedelta(days=2)).isoformat()}",
                              lines[earned[1]])
    path.write_text("".join(lines), encoding="utf-8")
    checked = kehu("check", store=store_path)
    assert checked.code == 1, checked.out
    ledger = store.rel(path)
    assert f"{ledger}:{earned[0] + 1}: gives 100 points on {given} that lapse on 0001-01-01" in checked.out, checked.out
    assert f"{ledger}:{earned[1] + 1}: gives 50 points" in checked.out, checked.out
    assert checked.out.count("(plugin points)") == 2


def test_a_redemptions_reason_of_many_lines_stays_on_its_entrys_line(store_path: Path) -> None:
    """`points redeem --reason` keeps the reason as typed; `kehu points` printed its second line
    at the margin, and a direction control turned the entry's line around."""
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 100, ago(2))
    assert kehu("points", "redeem", cid, "30", "--reason", "换购茶杯\n2026-11-19  purchase  +9999\u202e",
                store=store_path).code == 0
    shown = kehu("points", cid, store=store_path)
    assert shown.code == 0, shown.err
    (line,) = [line for line in shown.out.splitlines() if "换购茶杯" in line]
    assert line.rstrip().endswith("换购茶杯 2026-11-19  purchase  +9999") and "-30" in line, shown.out
    assert "+9999" not in shown.out.replace(line, "") and "\u202e" not in shown.out


def test_two_customers_with_points_spent_and_lapsed_merge_into_a_clean_ledger(store_path: Path) -> None:
    """`kehu customer merge` puts OTHER's entries after KEEP's: each ledger was within its own
    balance, so the merged one is too (the rule adds up the file's entries; weighing each
    write-off against a replay of both customers' lots named this one, whose lapsed points
    KEEP's later redemption had used in the replay)."""
    configure(store_path, points={"expiry_days": 30})
    keep, other = add_customer(store_path, "赵敏"), add_customer(store_path, "赵敏 (旧)")
    buy(store_path, keep, 100, ago(20))
    assert kehu("points", "redeem", keep, "50", store=store_path).code == 0
    buy(store_path, other, 60, ago(40))  # lapsed 10 days ago: written off by the redemption
    buy(store_path, other, 70, ago(5))
    assert kehu("points", "redeem", other, "10", store=store_path).code == 0
    assert kehu("customer", "merge", keep, other, store=store_path).code == 0
    checked = kehu("check", store=store_path)
    assert checked.code == 0, checked.out
    assert balance(store_path, keep) == 110
