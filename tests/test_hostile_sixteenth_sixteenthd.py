"""The sixteenth outside round (sixteenthd, 2026-12-06): issue 16's "one set of rules for every
door" and "user errors are messages, not tracebacks", tried on every command and sub-command with
hostile arguments, streams and settings. Each test failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import test_hostile_limits
from .conftest import kehu, kehu_subprocess
from .test_dedupe import files_of
from .test_hostile_seventeenth_seventeenthb import edit_without_a_terminal

no_traceback = test_hostile_limits.no_traceback


@pytest.mark.parametrize("birthday", ["0000-01-01", "0000-02-29"])
def test_a_birthday_in_year_0000_is_refused_at_every_door(store_path: Path, birthday: str) -> None:
    """`customer add --birthday 0000-01-01` (or `customer set birthday=`) ended in "internal
    error: ValueError: year 0 is out of range", and the same birthday written by hand passed
    `kehu check` as a birthday without a year (`--01-01`): year 0 read as "no year". It is a day
    outside the dates kehu keeps at every door (`calendar.parse_solar`)."""
    added = kehu("customer", "add", "--name", "甲", "--birthday", birthday, store=store_path)
    no_traceback(added)
    assert added.code == 1 and "outside the dates kehu keeps" in added.err, added.err
    made = kehu("customer", "add", "--name", "乙", store=store_path)
    assert made.code == 0, made.err
    cid = made.out.strip()
    before = files_of(store_path)
    changed = kehu("customer", "set", cid, f"birthday={birthday}", store=store_path)
    no_traceback(changed)
    assert changed.code == 1 and "outside the dates kehu keeps" in changed.err, changed.err
    assert files_of(store_path) == before
    profile = next(store_path.glob(f"customers/*/{cid}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + f"birthday: '{birthday}'\n", encoding="utf-8")
    checked = kehu("check", store=store_path)
    assert checked.code == 1 and f"{profile}:" in checked.out + checked.err, checked.out + checked.err
    assert "outside the dates kehu keeps" in checked.out + checked.err


READERS_GONE = [["customer", "list"], ["customer", "list", "--json"], ["report", "rfm"], ["tier"],
                ["plugins"], ["search", "a"], ["check"]]


@pytest.mark.parametrize("args", READERS_GONE, ids=" ".join)
def test_a_reader_that_stopped_reading_ends_no_command_early(demo_copy: Path, args: list[str]) -> None:
    """`kehu customer list | head -1`: the reader gone, the first write that no longer fitted in
    the pipe raised EPIPE, which click (and Rich, for a table) turned into exit 1 with nothing
    said, and the command stopped where it was (a check's problems never counted, a write's
    later steps never done); whether it exited 0 or 1 hung on how fast `head` was. A stdout
    nobody reads is /dev/null, as a closed one is (`cli.argtext.outputs_any_text`): the command
    finishes and exits with its own code, the same as with its output kept."""
    if args == ["check"]:  # problems to print, and exit 1 to keep
        for profile in sorted(demo_copy.glob("customers/*/*/customer.yaml"))[:50]:
            profile.write_text(profile.read_text(encoding="utf-8") + "birthday: x\n", encoding="utf-8")
    kept = kehu_subprocess("--today", "2026-11-20", *args, store=demo_copy)
    assert kept.returncode in (0, 1) and kept.stdout, kept.stderr
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first write: the same every run
    try:
        gone = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(demo_copy), "--today",
                               "2026-11-20", *args], stdout=write, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write)
    assert "Traceback" not in gone.stderr and "internal error" not in gone.stderr, gone.stderr
    assert gone.returncode == kept.returncode, gone.stderr
    assert gone.stderr == kept.stderr


@pytest.mark.parametrize("limit", ["-1", "-5", "99999999999999999999999999", "1000000001"])
def test_search_limit_is_a_count_as_every_other_limit(demo_copy: Path, limit: str) -> None:
    """`kehu search zm --limit 99999999999999999999999999` ended in "internal error:
    OverflowError: Python int too large to convert to SQLite INTEGER", and `--limit -1` listed
    every match (SQLite's LIMIT -1 is no limit): `search --limit` was a bare integer, where every
    other count a command shows (`customer list --limit`, `undo --limit`, `--customers`) is
    `cli.options.COUNT`, 0 to 1 000 000 000. Now it is too: a usage error naming the range."""
    for extra in ([], ["--json"]):
        result = kehu("search", "zm", "--limit", limit, *extra, store=demo_copy)
        no_traceback(result)
        assert result.code == 2 and "--limit" in result.err and "0<=x<=1000000000" in result.err, result.err
        assert result.out == ""


EMPTY_PATHS = [
    ["export", "--format", "csv", "{p}"],
    ["visits", "cards", "--owner", "王芳", "--date", "2026-11-20", "{p}"],
    ["reminders", "--ics", "{p}"],
    ["--identity", "{p}", "customer", "list"],
    ["reindex", "{p}"],
]


@pytest.mark.parametrize("args", EMPTY_PATHS, ids=lambda a: " ".join(a[:2]))
@pytest.mark.parametrize("path", ["", " "])
def test_an_empty_path_names_no_file_at_every_door(demo_copy: Path, args: list[str], path: str) -> None:
    """`kehu reminders --ics "$OUT"` with OUT unset printed the reminders and wrote no file, exit
    0, as `--identity ""` opened nothing and said nothing; `kehu export --format csv ""` and
    `visits cards ""` said "OUT : is a folder", and `reindex ""` named ".". `--store ""` and
    `kehu init ""` said "an empty path names no folder or file (a variable left unset?)": every
    path typed to kehu is read by that one rule (`paths.empty_path_problem`: `cli.options.given_path`
    and, for an export's target from any door, `export_targets.check_target`)."""
    before = files_of(demo_copy)
    result = kehu(*[path if a == "{p}" else a for a in args], store=demo_copy)
    no_traceback(result)
    assert result.code in (1, 2) and "an empty path names no folder or file" in result.err, (result.code, result.err)
    assert files_of(demo_copy) == before


def test_a_birthday_typed_in_full_width_digits_is_kept_as_every_day_is(store_path: Path) -> None:
    """`customer add --birthday ２０２０-0１-１５ --lunar-birthday ０３-０４` (an IME left in
    full-width) stored the text as typed: `customer show --json` gave the contract's `birthday` as
    "２０２０-0１-１５" and the vCard export wrote it in BDAY, which no phone reads, while `--date`
    and `--today` read the same digits as 2020-01-15 (`clock.typed_day`). Digits of another script
    (`٢٠٢٠-01-15`) were taken too, where a date refuses them. A birthday is read as a day is
    typed: NFKC, then ASCII digits, and kept as `YYYY-MM-DD` (`calendar.parse_solar`,
    `calendar.parse_lunar`, `models.fields.check_birthday`)."""
    added = kehu("customer", "add", "--name", "甲", "--birthday", "２０２０-0１-１５",
                 "--lunar-birthday", "０３-０４", store=store_path)
    assert added.code == 0, added.err
    cid = added.out.strip()
    shown = kehu("customer", "show", cid, "--json", store=store_path).json()
    assert (shown["birthday"], shown["lunar_birthday"]) == ("2020-01-15", "03-04")
    profile = next(store_path.glob(f"customers/*/{cid}/customer.yaml")).read_text(encoding="utf-8")
    assert "2020-01-15" in profile and "03-04" in profile and "２" not in profile
    assert kehu("customer", "set", cid, "birthday=１９９９-１２-３１", store=store_path).code == 0
    assert kehu("customer", "show", cid, "--json", store=store_path).json()["birthday"] == "1999-12-31"
    before = files_of(store_path)
    for args in (["customer", "add", "--name", "乙", "--birthday", "٢٠٢٠-01-15"],
                 ["customer", "add", "--name", "乙", "--lunar-birthday", "٠٣-04"],
                 ["customer", "set", cid, "birthday=٢٠٢٠-01-15"]):
        refused = kehu(*args, store=store_path)
        no_traceback(refused)
        assert refused.code == 1 and "expected" in refused.err, (args, refused.err)
    assert files_of(store_path) == before
    written = next(store_path.glob(f"customers/*/{cid}/customer.yaml"))
    written.write_text(written.read_text(encoding="utf-8").replace("1999-12-31", "١٩٩٩-12-31"), encoding="utf-8")
    checked = kehu("check", store=store_path)
    assert checked.code == 1 and f"{written}:" in checked.out + checked.err, checked.out + checked.err


def _three_of_which_one_merged(store: Path) -> tuple[str, str, str]:
    """甲, 乙 and 丙 added, 乙 merged into 甲: their ids."""
    ids = []
    for name in ("甲", "乙", "丙"):
        added = kehu("customer", "add", "--name", name, store=store)
        assert added.code == 0, added.err
        ids.append(added.out.strip())
    assert kehu("customer", "merge", ids[0], ids[1], store=store).code == 0
    return ids[0], ids[1], ids[2]


def test_an_id_merged_into_another_customer_is_named_where_it_went(store_path: Path) -> None:
    """乙 merged into 甲 (`kehu customer merge`): `customer show 乙`, `customer set`, `purchase
    add`, `interaction add`, `points show`, `customer merge 丙 乙` and `visits done` with 乙's id
    (from a printed list, a phone's contact, a script) said "no customer with id '乙'" and no
    more, while the store knows where 乙 went (甲's `also_known`, which imports, sync and `kehu
    serve` follow). Every door's "no customer" is one answer (`Store.no_such_customer`) that
    names the customer it was merged into (`Index.merged_into`)."""
    keep, gone, third = _three_of_which_one_merged(store_path)
    before = files_of(store_path)
    for args in (["customer", "show", gone], ["customer", "show", gone, "--json"],
                 ["customer", "set", gone, "notes=x"],
                 ["purchase", "add", gone, "--date", "2026-11-01", "--item", "茶", "--amount", "10"],
                 ["interaction", "add", gone, "--kind", "call", "--date", "2026-11-01", "--text", "t"],
                 ["points", "show", gone], ["customer", "merge", third, gone],
                 ["visits", "done", gone, "--outcome", "ok"]):
        result = kehu("--today", "2026-11-20", *args, store=store_path)
        no_traceback(result)
        assert result.code == 1, (args, result.err)
        assert f"no customer with id '{gone}'" in result.err and f"merged into customer {keep}" in result.err, (
            args, result.err)
    assert files_of(store_path) == before
    never = kehu("customer", "show", "nosuchcustomer", store=store_path)
    assert never.code == 1 and "merged into" not in never.err, never.err


@pytest.mark.parametrize("rate", ["nan", "-1", "0", "1e-9", "inf"])
def test_a_dry_run_refuses_the_rate_the_send_would_refuse(demo_copy: Path, rate: str) -> None:
    """`kehu send --dry-run --rate nan` (or -1, 0, 1e-9, inf) showed every message, exit 0, and
    the same command without --dry-run refused the rate: a dry run, which says what the send
    would do, passed what the send stops at. The rate is judged before either
    (`outreach.RateLimiter`), and a rate_per_minute in kehu.yaml too."""
    args = ["send", "--segment", "all", "--template", "birthday", "--dry-run"]
    for given in (["--rate", rate], []):
        if not given:
            config = demo_copy / "kehu.yaml"
            config.write_text(config.read_text(encoding="utf-8") + f"outreach:\n  rate_per_minute: {rate}\n",
                              encoding="utf-8")
        before = files_of(demo_copy)
        result = kehu("--today", "2026-11-20", *args, *given, store=demo_copy)
        no_traceback(result)
        assert result.code == 1 and "messages per minute" in result.err, (given, result.code, result.err[-300:])
        assert result.out == "" and files_of(demo_copy) == before


@pytest.mark.parametrize("stdin", ["closed", "devnull"])
def test_the_tui_without_a_terminal_says_so(demo_copy: Path, stdin: str) -> None:
    """`kehu tui <&-` (a cron job's, a service's closed input) ended in Textual's traceback
    ("AttributeError: 'NoneType' object has no attribute 'fileno'") with exit 0, and `kehu tui
    < /dev/null > file` drew screens into the file for ever, waiting for keys that never came.
    The TUI needs a terminal for its input and output; without one it says so, exit 1
    (`cli.store_cmds.tui`). (The timeout only ends the run of the code before the fix.)"""
    command = [sys.executable, "-m", "kehu_core", "--store", str(demo_copy), "tui"]
    if stdin == "closed":
        command = ["bash", "-c", 'exec "$@" <&-', "kehu", *command]
    result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 1 and "needs a terminal" in result.stderr, (result.returncode, result.stderr[-2000:])
    assert result.stdout == ""


def test_edit_with_no_editor_set_and_no_terminal_says_so(demo_copy: Path) -> None:
    """`kehu edit ID` from a script or a cron job, neither $VISUAL nor $EDITOR set and no
    terminal for its input: kehu opened vi, its fallback, which waited on input that never
    came, for ever, at half a core (the copy of the profile left in /tmp). Without an editor
    named and without a terminal, `kehu edit` (and every door that opens an edit session) says
    what to set before any copy is made, exit 1 (`services.editing.editor_command`). (The
    timeout and the kill only end the run of the code before the fix.)"""
    cid = kehu("customer", "list", "--json", store=demo_copy).json()[0]["id"]
    before = files_of(demo_copy)
    code, err = edit_without_a_terminal(demo_copy, cid)
    assert code == 1 and "EDITOR" in err and "terminal" in err, (code, err)
    assert "Traceback" not in err and files_of(demo_copy) == before


def test_a_referrer_merged_into_another_customer_is_named_where_it_went(store_path: Path) -> None:
    """`customer add --referrer 乙` (or `customer set ID referrer=乙`) where 乙 was merged into
    甲 said "referrer '乙': no such customer" and no more; the one referrer rule
    (`Store.referrer_problem`: CLI, TUI form, import, edit) names where 乙 went, as every door's
    unknown customer id does (`Store.no_such_customer`)."""
    keep, gone, third = _three_of_which_one_merged(store_path)
    before = files_of(store_path)
    for args in (["customer", "add", "--name", "丁", "--referrer", gone],
                 ["customer", "set", third, f"referrer={gone}"]):
        result = kehu(*args, store=store_path)
        no_traceback(result)
        assert result.code == 1 and "no such customer" in result.err, (args, result.err)
        assert f"merged into customer {keep}" in result.err, (args, result.err)
    assert files_of(store_path) == before
