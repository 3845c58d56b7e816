"""A customer whose customer.yaml has a problem (a whole number of 19 digits, a phone too short:
anything ``kehu check`` reports) has no profile in the index, so every listing leaves them out.
``kehu customer list`` says how many (tests/test_hostile_values.py); so does every other output
that enumerates customers — search, export, segments and send, the reports, the TUI's list —
with one count (``Index.unlisted``) and one set of words (``kehu_core.left_out``), on stderr
(``--json`` stays JSON), exit 0 as before: what they show is right, ``kehu check`` exits 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kehu_core.ids import shard

from .conftest import kehu
from .test_hostile import tree_hash

BROKEN = ("big: 1234567890123456789\n", "phones: ['12']\n")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], str]:
    path = tmp_path_factory.mktemp("unlisted") / "base"
    assert kehu("init", str(path), "--no-git").code == 0
    def add(*argv: str) -> str:
        return kehu("customer", "add", "--tag", "VIP", *argv, store=path).out.strip()

    broken = [add("--name", "李雷"), add("--name", "王五")]
    other = add("--name", "韩梅梅", "--email", "han@example.com")
    for cid in (*broken, other):
        assert kehu("purchase", "add", cid, "--amount", "300", "--date", "2026-11-01", store=path).code == 0
    for cid, line in zip(broken, BROKEN, strict=True):
        profile = path / "customers" / shard(cid) / cid / "customer.yaml"
        profile.write_text(profile.read_text(encoding="utf-8") + line, encoding="utf-8")
    shutil.rmtree(path / ".kehu", ignore_errors=True)
    return path, broken, other


@pytest.fixture
def store(base: tuple[Path, list[str], str], tmp_path: Path) -> tuple[Path, list[str], str]:
    path = tmp_path / "store"
    shutil.copytree(base[0], path)
    return path, base[1], base[2]


def mend(path: Path, broken: list[str]) -> None:
    for cid in broken:
        profile = path / "customers" / shard(cid) / cid / "customer.yaml"
        profile.write_text("".join(profile.read_text(encoding="utf-8").splitlines(True)[:-1]), encoding="utf-8")


SAID = {
    "listed": "kehu: 2 customers are not listed: their customer.yaml has a problem (`kehu check` shows each)",
    "exported": "kehu: 2 customers are not exported: their customer.yaml has a problem (`kehu check` shows each)",
    "segments": "kehu: 2 customers are in no segment: their customer.yaml has a problem (`kehu check` shows each)",
    "counted": "kehu: 2 customers' profiles are left out of this report (not their purchases): their "
               "customer.yaml has a problem (`kehu check` shows each)",
    "reminded": "kehu: 2 customers have no reminders here: their customer.yaml has a problem (`kehu check` "
                "shows each)",
    "skipped": "kehu: 2 customers are left out of this run: their customer.yaml has a problem (`kehu check` "
               "shows each)",
}
OUT = "{out}"  # an export's target, outside the store
CASES = [
    (["search", "韩"], "listed", False),
    (["search", "李", "--json"], "listed", True),
    (["export", OUT + ".csv", "--format", "csv"], "exported", False),
    (["export", OUT + ".xlsx", "--format", "xlsx", "--what", "purchases"], "exported", False),
    (["export", OUT + ".vcf", "--format", "vcard", "--tag", "VIP"], "exported", False),
    (["export", OUT + ".ics", "--format", "ics"], "exported", False),
    (["segment", "show", "all"], "segments", False),
    (["segment", "show", "all", "--json"], "segments", True),
    (["send", "--segment", "all", "--template", "winback", "--dry-run", "--json"], "segments", True),
    (["report", "lifecycle"], "counted", False),
    (["report", "rfm", "--json"], "counted", True),
    (["report", "revenue", "--json"], "counted", True),
    (["report", "receivables"], "counted", False),
    (["reminders", "--days", "60"], "reminded", False),
    (["reminders", "--json"], "reminded", True),
    (["reminders", "--day-list", "--json"], "reminded", True),  # Today's list
    (["visits", "plan", "--owner", "nobody"], "listed", False),
    (["visits", "plan", "--owner", "nobody", "--json"], "listed", True),
    (["tier"], "listed", False),
    (["tier", "--json"], "listed", True),
    (["duplicates"], "listed", False),
    (["duplicates", "--json"], "listed", True),
    (["points", "rebuild", "--dry-run"], "skipped", False),
    (["points", "rebuild", "--json"], "skipped", True),
    (["tier", "record"], "skipped", False),
    (["tier", "record", "--json"], "skipped", True),
]


@pytest.mark.parametrize(("argv", "kind", "is_json"), CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_every_output_that_leaves_a_broken_profile_out_says_so(
        argv: list[str], kind: str, is_json: bool, store: tuple[Path, list[str], str], tmp_path: Path) -> None:
    """These dropped the two broken profiles without a word (exit 0, nothing on stderr)."""
    path, broken, other = store
    argv = [a.replace(OUT, str(tmp_path / "out")) for a in argv]
    writes = argv[:2] == ["tier", "record"]  # records the sound customer's tier: only theirs may change

    def kept() -> list[str]:
        if writes:
            return [tree_hash(path / "customers" / shard(cid) / cid) for cid in broken]
        return [tree_hash(path)]

    before = kept()
    for _ in ("the index built now", "the index kept from the run before"):
        result = kehu("--today", "2026-12-01", *argv, store=path)
        assert result.code == 0, result.err
        assert "Traceback" not in result.out + result.err
        assert SAID[kind] in result.err, result.err
        assert SAID[kind] not in result.out
        if is_json:
            data = json.loads(result.out)  # stdout: JSON only
            if argv[0] != "tier":  # tier's recent moves are read from the ledgers: by id, not dropped
                assert not any(cid in result.out for cid in broken)
            if argv[0] not in ("report", "reminders", "visits", "duplicates", "points") and not writes:
                assert other in result.out or argv[:2] == ["search", "李"], data
    assert kept() == before
    mend(path, broken)  # all is said once mended
    result = kehu("--today", "2026-12-01", *argv, store=path)
    assert result.code == 0 and "has a problem" not in result.err, result.err


@pytest.mark.asyncio
async def test_the_tuis_list_says_how_many_customers_it_cannot_show(store: tuple[Path, list[str], str]) -> None:
    """The TUI's customer list left them out without a word; its status line now says the same
    as `customer list`, counted by kehu_core (``Index.unlisted``), and stops once they are mended
    (the list reloads when the files change)."""
    from kehu_tui.screens.customers import CustomersScreen

    from .test_tui import SIZE, make_app, names, wait_for
    from .test_tui_background import status

    path, broken, _other = store
    app = make_app(path, watch_interval=0.1)  # the watcher sees the mended files
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CustomersScreen) and "韩梅梅" in names(app.screen.table),
                       "the list")
        said = SAID["listed"].removeprefix("kehu: ")
        await wait_for(pilot, lambda: said in status(app), "the count under the list")
        assert names(app.screen.table) == ["韩梅梅"]
        await pilot.press("slash", *"han")  # a search says it too: one sought may be among them
        await wait_for(pilot, lambda: "found for" in status(app) and said in status(app), "the search's count")
        await pilot.press("escape")
        mend(path, broken)
        await wait_for(pilot, lambda: len(names(app.screen.table)) == 3 and "has a problem" not in status(app),
                       "the mended list")


@pytest.mark.asyncio
async def test_the_tuis_dashboard_reports_and_today_say_how_many_customers_they_leave_out(
        store: tuple[Path, list[str], str]) -> None:
    """The dashboard, the credit and referrals reports and Today showed their figures without a
    word of the customers they leave out; each now shows kehu_core's line under them, the words
    of `kehu report` and `kehu reminders`, gone once the files are mended."""
    from kehu_tui.screens.dashboard import DashboardScreen
    from kehu_tui.screens.reports import CreditScreen, ReferralsScreen
    from kehu_tui.screens.today import TodayScreen

    from .test_tui import SIZE, make_app, text_of, wait_for

    def notice(app) -> str:  # what the screen's line says, "" while hidden
        widget = app.screen.query_one("#left-out")
        return " ".join(text_of(widget).split()) if widget.display else ""

    path, broken, _other = store
    app = make_app(path, watch_interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        for key, screen, kind in (("d", DashboardScreen, "counted"), ("c", CreditScreen, "counted"),
                                  ("escape", DashboardScreen, "counted"), ("f", ReferralsScreen, "counted"),
                                  ("escape", DashboardScreen, "counted"), ("t", TodayScreen, "reminded")):
            await pilot.press(key)
            said = SAID[kind].removeprefix("kehu: ")
            await wait_for(pilot, lambda s=screen, w=said: isinstance(app.screen, s) and notice(app) == w,
                           f"the line of {screen.__name__}")
        mend(path, broken)
        await wait_for(pilot, lambda: notice(app) == "", "Today once mended")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen) and notice(app) == "",
                       "the dashboard once mended")
