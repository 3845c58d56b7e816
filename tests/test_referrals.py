"""Referrals (issue 17 part 5), through the real commands: the referrer is reminded to thank
when the referred customer is added and again when they first buy, with the message from the
thank-referrer template (the store's own replaces it) and the points the store configures;
`kehu report referrals`: who referred whom, the tree, revenue, conversion, thanks owed."""

from __future__ import annotations

from pathlib import Path

from .conftest import kehu


def _ok(store: Path, *args: str, day: str = "2026-11-20") -> str:
    result = kehu("--today", day, *args, store=store)
    assert result.code == 0, result.err
    return result.out.strip().splitlines()[-1] if result.out.strip() else ""


def _configure(store: Path, text: str) -> None:
    config = store / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")


def _thanks(store: Path, day: str = "2026-11-20") -> dict[str, dict]:
    found = kehu("--today", day, "reminders", "--json", store=store).json()
    return {r["key"]: r for r in found if r["rule"] == "thank-referrer"}


def test_thank_the_referrer_when_added_and_when_first_bought(store_path: Path) -> None:
    _configure(store_path, "  points: {referral_bonus: 50}\n")  # under plugins:, the file's last section
    zhao = _ok(store_path, "customer", "add", "--name", "赵敏", "--owner", "王芳", day="2026-10-01")
    assert _thanks(store_path) == {}
    sun = _ok(store_path, "customer", "add", "--name", "孙丽", "--referrer", zhao, day="2026-11-18")
    thanks = _thanks(store_path)
    added = f"thank-referrer:{zhao}:{sun}-added"
    assert list(thanks) == [added]
    assert thanks[added]["customer_id"] == zhao and thanks[added]["due"] == "2026-11-18"
    assert "谢谢您把孙丽介绍给我们" in thanks[added]["detail"] and "赵敏您好" in thanks[added]["detail"]

    _ok(store_path, "purchase", "add", sun, "--amount", "300", "--paid", day="2026-11-19")
    _ok(store_path, "purchase", "add", sun, "--amount", "100", "--paid", day="2026-11-20")  # not a first
    thanks = _thanks(store_path)
    bought = f"thank-referrer:{zhao}:{sun}-bought"
    assert sorted(thanks) == sorted([added, bought])
    assert thanks[bought]["due"] == "2026-11-19"
    detail = thanks[bought]["detail"]
    assert "孙丽已在本店首次购买（¥300.00）" in detail and "50 积分" in detail  # the store's bonus

    _ok(store_path, "reminders", "done", added, "--note", "微信致谢")
    assert list(_thanks(store_path)) == [bought]
    # thanks lapse after two weeks, like a greeting
    assert _thanks(store_path, day="2026-12-20") == {}


def test_the_stores_template_and_settings(store_path: Path) -> None:
    zhao = _ok(store_path, "customer", "add", "--name", "赵敏")
    (store_path / "templates").mkdir()
    (store_path / "templates" / "thank-referrer.j2").write_text(
        "{{ name }}，多谢介绍{{ referred }}（{{ event }}）", encoding="utf-8")
    _configure(store_path, "  reminders:\n    thank_referrer: {on: [bought]}\n")
    sun = _ok(store_path, "customer", "add", "--name", "孙丽", "--referrer", zhao)
    assert _thanks(store_path) == {}  # only on the first purchase
    _ok(store_path, "purchase", "add", sun, "--amount", "80", "--paid")
    [thanks] = _thanks(store_path).values()
    assert thanks["detail"] == "赵敏，多谢介绍孙丽（bought）"

    config = store_path / "kehu.yaml"
    text = config.read_text(encoding="utf-8").replace("on: [bought]", "on: [paid]")
    config.write_text(text, encoding="utf-8")
    bad = kehu("reminders", store=store_path)
    line = text.splitlines().index("    thank_referrer: {on: [paid]}") + 1
    assert bad.code == 1 and f"kehu.yaml:{line}" in bad.err and "thank_referrer" in bad.err


def test_report_referrals_tree_revenue_conversion_and_thanks_owed(store_path: Path) -> None:
    zhao = _ok(store_path, "customer", "add", "--name", "赵敏", "--owner", "王芳")
    sun = _ok(store_path, "customer", "add", "--name", "孙丽", "--referrer", zhao)
    _ok(store_path, "customer", "add", "--name", "钱多多", "--referrer", zhao)
    _ok(store_path, "customer", "add", "--name", "周新", "--referrer", sun)
    other = _ok(store_path, "customer", "add", "--name", "吴其")  # bought, referred by nobody
    _ok(store_path, "purchase", "add", sun, "--amount", "300", "--paid")
    _ok(store_path, "purchase", "add", sun, "--amount", "200", "--paid")
    _ok(store_path, "purchase", "add", other, "--amount", "500", "--paid")
    _ok(store_path, "reminders", "done", f"thank-referrer:{zhao}:{sun}-added")

    report = kehu("report", "referrals", "--json", store=store_path).json()
    assert (report["referred"], report["converted"], report["conversion"]) == (3, 1, 33.3)
    assert report["revenue"] == 500.0 and report["revenue_share"] == 50.0  # of 1000: 吴其's 500 too
    assert report["bonus_points"] == 100  # the points plugin's default bonus, once: 孙丽's first purchase
    first = report["referrers"][0]
    assert (first["name"], len(first["referred"]), first["converted"], first["conversion"]) == ("赵敏", 2, 1, 50.0)
    by_name = {r["name"]: r for r in first["referred"]}
    assert by_name["孙丽"]["thanked_added"] == "2026-11-20" and by_name["孙丽"]["thanked_bought"] is None
    assert by_name["孙丽"]["revenue"] == 500.0 and by_name["孙丽"]["purchases"] == 2
    assert by_name["钱多多"]["first_purchase"] is None
    assert first["thanks_owed"] == 2  # 孙丽's first purchase, 钱多多 added
    assert report["thanks_owed"] == 3  # and 孙丽 for 周新

    [root] = report["tree"]
    assert root["name"] == "赵敏"
    assert [(n["name"], n["bought"]) for n in root["referred"]] == [("孙丽", True), ("钱多多", False)]
    assert [n["name"] for n in root["referred"][0]["referred"]] == ["周新"]

    text = kehu("report", "referrals", store=store_path)
    assert text.code == 0 and "周新" in text.out and "33.3%" in text.out


def _points(store: Path, cid: str, day: str = "2026-11-20") -> dict[str, int]:
    """The referrer's points as every command shows them: show, list --sort points (the
    index's derived values), points ID, report referrals."""
    shown = kehu("--today", day, "customer", "show", cid, "--json", store=store).json()["points"]
    listed = {c["id"]: c.get("points") for c in
              kehu("--today", day, "customer", "list", "--sort", "points", "--json", store=store).json()}
    book = kehu("--today", day, "points", cid, "--json", store=store).json()["balance"]
    report = kehu("--today", day, "report", "referrals", "--json", store=store).json()
    [referrer] = [r for r in report["referrers"] if r["customer_id"] == cid]
    return {"show": shown, "list": listed[cid], "points": book, "report": referrer["bonus_points"],
            "report total": report["bonus_points"]}


def test_voiding_the_first_purchase_takes_the_referral_bonus_and_thanks_back(store_path: Path) -> None:
    """The bonus rewards a referred customer who bought: when their only purchase is voided
    the referrer's points, the report and the first-buy thanks all lose it; a purchase still
    standing keeps it; a new first purchase gives it again."""
    zhao = _ok(store_path, "customer", "add", "--name", "赵敏", day="2026-10-01")
    sun = _ok(store_path, "customer", "add", "--name", "孙丽", "--referrer", zhao, day="2026-11-10")
    first = _ok(store_path, "purchase", "add", sun, "--amount", "300", "--paid", day="2026-11-18")
    assert set(_points(store_path, zhao).values()) == {100}
    bought = f"thank-referrer:{zhao}:{sun}-bought"
    assert bought in _thanks(store_path)

    _ok(store_path, "purchase", "void", sun, first, "--reason", "退货")
    assert set(_points(store_path, zhao).values()) == {0}
    assert bought not in _thanks(store_path)
    added = _thanks(store_path)[f"thank-referrer:{zhao}:{sun}-added"]
    assert "积分" not in added["detail"]  # the message no longer promises the bonus
    report = kehu("report", "referrals", "--json", store=store_path).json()
    assert report["converted"] == 0
    assert kehu("check", store=store_path).code == 0

    # a new first purchase gives the bonus again; voiding a later one keeps it
    again = _ok(store_path, "purchase", "add", sun, "--amount", "80", "--paid", day="2026-11-19")
    later = _ok(store_path, "purchase", "add", sun, "--amount", "50", "--paid", day="2026-11-20")
    assert set(_points(store_path, zhao).values()) == {100}
    _ok(store_path, "purchase", "void", sun, later)
    assert set(_points(store_path, zhao).values()) == {100}
    # voiding the first while another purchase stands: they still bought, the bonus stays
    third = _ok(store_path, "purchase", "add", sun, "--amount", "60", "--paid", day="2026-11-20")
    _ok(store_path, "purchase", "void", sun, again)
    assert set(_points(store_path, zhao).values()) == {100}
    _ok(store_path, "purchase", "void", sun, third)
    assert set(_points(store_path, zhao).values()) == {0}


def test_the_report_counts_one_referred_customer_in_the_singular(store_path: Path) -> None:
    referrer = _ok(store_path, "customer", "add", "--name", "吴新", "--phone", "13900000001")
    _ok(store_path, "customer", "add", "--name", "赵敏", "--phone", "13900000002", "--referrer", referrer)
    one = kehu("--today", "2026-11-20", "report", "referrals", store=store_path)
    assert "1 customer referred, 0 bought" in one.out
    _ok(store_path, "customer", "add", "--name", "钱多多", "--phone", "13900000003", "--referrer", referrer)
    two = kehu("--today", "2026-11-20", "report", "referrals", store=store_path)
    assert "2 customers referred, 0 bought" in two.out
    zh = kehu("--lang", "zh_CN", "--today", "2026-11-20", "report", "referrals", store=store_path)
    assert "介绍来 2 位客户，0 位已购买" in zh.out


def test_a_server_keeping_its_store_open_thanks_for_a_referral_made_meanwhile(store_path: Path) -> None:
    """Each pass over a list asks who referred whom once (not once per customer), yet a
    process keeping the store open (``kehu serve``, the TUI) sees a referral made since its
    last pass: the next list of reminders thanks for it."""
    import datetime as dt

    from kehu_core.models import Customer
    from kehu_core.reminder_engine import reminders_for
    from kehu_core.store import open_store

    store = open_store(store_path, today="2026-11-20")
    day = dt.date(2026, 11, 20)
    added = [store.add_customer(Customer(id=store.new_customer_id(), name=f"客户{n}", created=day))
             for n in range(25)]  # more than the single lookups: the store-wide answer

    def thanked() -> list[str]:
        customers = [row.customer for row in store.index.list(order="id")]
        return [r.key for _c, found in reminders_for(store, customers, day, day + dt.timedelta(days=7))
                for r in found if r.rule == "thank-referrer"]

    assert thanked() == []
    friend = store.add_customer(Customer(id=store.new_customer_id(), name="新客", created=day,
                                         referrer=added[3].id))
    assert thanked() == [f"thank-referrer:{added[3].id}:{friend.id}-added"]
