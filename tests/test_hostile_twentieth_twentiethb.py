"""Twentieth round (issue 16), twentiethb: `kehu reminders` faster, its outputs as they were."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from icalendar import Calendar, Event

from .conftest import kehu


def _icalendar_made(reminders: list[dict[str, str]], shop: str, today: dt.date) -> bytes:
    """The calendar icalendar's own objects write of these reminders (what `--ics` wrote
    through them until this round; U+2028 and its kin escaped as kehu escapes them)."""
    from kehu_core.services.contentlines import ical_bytes

    cal = Calendar()
    cal.add("prodid", "-//kehu//reminders//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{shop} 客户提醒")
    for r in reminders:
        event = Event()
        event.add("uid", f"{r['key']}@kehu")
        event.add("dtstamp", dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC))
        due = dt.date.fromisoformat(r["due"])
        event.add("dtstart", due)
        event.add("dtend", due + dt.timedelta(days=1))
        event.add("summary", f"{r['title']} — {r['customer_name']}")
        event.add("description", "\n".join(filter(None, [r["detail"], f"kehu reminders done {r['key']}"])))
        event.add("categories", [r["rule"]])
        cal.add_component(event)
    return ical_bytes(cal)


def test_reminders_ics_is_byte_for_byte_what_icalendar_writes_for_hostile_text(tmp_path: Path) -> None:
    """`kehu reminders --ics` now writes its lines itself (icalendar's objects took half of the
    command's CPU at 10 000 customers); what a calendar app reads must not change by a byte:
    the escapes of `\\`, `;`, `,` and a typed `\\N`, the folding of long lines at 74 octets
    never inside a character of Chinese or an emoji nor between a `\\` or `^` and what it
    escapes, and the shop's name (written unescaped, as icalendar writes an X- property)."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git", "--name", "茶庄; A,B \\N ^").code == 0
    names = ["Zoë;吴,^\\" + "张" * 25, "^\\" * 40 + "😀" * 9, "李" + "a" * 71 + "\\;,", "王芳"]
    for n, name in enumerate(names):
        added = kehu("customer", "add", "--name", name, "--phone", f"1390000000{n}", "--birthday", "--11-22",
                     store=store)
        assert added.code == 0, added.err
        cid = added.out.strip()
        bought = kehu("purchase", "add", cid, "--date", "2026-11-18", "--item", "龙井,礼盒;\\N^" + "茶" * 30,
                      "--price", "12", "--due", "2026-11-19", store=store)
        assert bought.code == 0, bought.err
    listed = kehu("reminders", "--json", store=store)
    assert listed.code == 0, listed.err
    reminders = listed.json()
    assert len({r["customer_id"] for r in reminders}) == len(names) and len(reminders) >= 2 * len(names), reminders
    out = tmp_path / "r.ics"
    written = kehu("reminders", "--ics", str(out), store=store)
    assert written.code == 0, written.err
    made = out.read_bytes()
    assert made == _icalendar_made(reminders, "茶庄; A,B \\N ^", dt.date(2026, 11, 20))
    events = list(Calendar.from_ical(made).walk("VEVENT"))
    assert sorted(str(e["SUMMARY"]).split(" — ", 1)[1] for e in events
                  if str(e["CATEGORIES"].cats[0]) == "birthday") == sorted(names)
