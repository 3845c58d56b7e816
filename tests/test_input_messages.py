"""Issue 14 item 7: input and messages, each through the real CLI.

Phones the phone library cannot validate are refused naming why; landlines are found as they
are dialled; yes/no fields read as people write them; exports and --ics refuse a missing
folder and the store's own files; an unknown --rule is a usage error; `kehu check` says one
thing per broken file and how to write an unquoted phone; plugin rules refuse a write;
a report's text and JSON name the same days and every product sold before is 滞销 when it
did not sell; files follow the umask.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kehu_core.yamlio import new_file_mode, process_umask
from tests.conftest import kehu, kehu_subprocess
from tests.test_reports import build_known


def _add(store: Path, *args: str) -> str:
    result = kehu("customer", "add", *args, store=store)
    assert result.code == 0, result.err
    return result.out.strip().splitlines()[-1]


def _file(store: Path, cid: str) -> Path:
    return next(store.glob(f"customers/*/{cid}/customer.yaml"))


def _files(store: Path) -> list[Path]:
    return sorted(store.glob("customers/*/*/customer.yaml"))


# --- 1. phones ------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["12345", "1381234567", "+1 555 0100", "95588"])
def test_a_phone_the_library_cannot_validate_is_refused_naming_why(store_path: Path, phone: str) -> None:
    result = kehu("customer", "add", "--name", "张三", "--phone", phone, store=store_path)
    assert result.code == 1
    assert f"not a phone number: {phone!r}" in result.err and "region" in result.err
    assert "Traceback" not in result.err and _files(store_path) == []


def test_too_short_is_named(store_path: Path) -> None:
    result = kehu("customer", "add", "--name", "张三", "--phone", "+86 139", store=store_path)
    assert result.code == 1 and "is too short for region CN" in result.err


def test_customer_set_refuses_an_invalid_phone_and_keeps_the_file(store_path: Path) -> None:
    cid = _add(store_path, "--name", "李四", "--phone", "13912345678")
    before = _file(store_path, cid).read_bytes()
    result = kehu("customer", "set", cid, "phones=12345", store=store_path)
    assert result.code == 1 and "not a phone number: '12345'" in result.err
    assert _file(store_path, cid).read_bytes() == before


def test_an_import_row_with_an_invalid_phone_is_reported_not_added(store_path: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "people.csv"
    sheet.write_text("姓名,电话\n王五,12345\n赵六,13912345678\n", encoding="utf-8")
    result = kehu("import", str(sheet), store=store_path)
    assert result.code == 1 and "not a phone number: '12345'" in result.err
    assert len(_files(store_path)) == 1


def test_a_hand_edited_invalid_phone_is_found_by_check(store_path: Path) -> None:
    cid = _add(store_path, "--name", "李四", "--phone", "13912345678")
    path = _file(store_path, cid)
    path.write_text(path.read_text(encoding="utf-8").replace("+8613912345678", "+8612345"), encoding="utf-8")
    check = kehu("check", store=store_path)
    assert check.code == 1 and "phones.0: not a phone number: '+8612345'" in check.out


# --- 2. landlines found as they are dialled --------------------------------------------------


def test_a_landline_is_found_by_its_national_form_and_area_code(store_path: Path) -> None:
    cid = _add(store_path, "--name", "李四", "--phone", "0571-87654321")
    _add(store_path, "--name", "王五", "--phone", "13912345678")
    for query in ("0571-87654321", "057187654321", "0571", "87654321", "+86 571 8765 4321"):
        found = kehu("search", query, "--json", store=store_path)
        assert found.code == 0, found.err
        assert [c["id"] for c in found.json()] == [cid], query


# --- 3. yes/no as people write them ----------------------------------------------------------


@pytest.mark.parametrize(("yes", "no"), [("true", "false"), ("yes", "no"), ("1", "0"), ("on", "off"),
                                          ("是", "否"), ("YES", "No")])
def test_do_not_contact_is_set_and_cleared_as_people_write_it(store_path: Path, yes: str, no: str) -> None:
    cid = _add(store_path, "--name", "李四")
    assert kehu("customer", "set", cid, f"do_not_contact={yes}", store=store_path).code == 0
    assert "do_not_contact: true" in _file(store_path, cid).read_text(encoding="utf-8")
    assert kehu("customer", "show", cid, "--json", store=store_path).json()["do_not_contact"] is True
    assert kehu("customer", "set", cid, f"do_not_contact={no}", store=store_path).code == 0
    assert "do_not_contact: false" in _file(store_path, cid).read_text(encoding="utf-8")
    assert kehu("customer", "show", cid, "--json", store=store_path).json()["do_not_contact"] is False


def test_a_yes_no_value_not_understood_is_refused(store_path: Path) -> None:
    cid = _add(store_path, "--name", "李四")
    before = _file(store_path, cid).read_bytes()
    result = kehu("customer", "set", cid, "do_not_contact=maybe", store=store_path)
    assert result.code == 1
    assert "'maybe' is not yes or no; write true/yes/1/on/是 or false/no/0/off/否" in result.err
    assert _file(store_path, cid).read_bytes() == before


# --- 4. exports ----------------------------------------------------------------------------


def test_export_into_a_missing_folder_is_a_message(store_path: Path, tmp_path: Path) -> None:
    _add(store_path, "--name", "李四")
    out = tmp_path / "missing" / "dir" / "x.csv"
    result = kehu_subprocess("export", "--format", "csv", str(out), store=store_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "does not exist; create it first" in result.stderr
    assert not out.parent.exists()


def test_reminders_ics_into_a_missing_folder_is_refused_not_created(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "nowhere" / "r.ics"
    result = kehu("reminders", "--ics", str(out), store=store_path)
    assert result.code == 1 and "--ics" in result.err and "does not exist" in result.err
    assert not out.parent.exists()
    good = kehu("reminders", "--ics", str(tmp_path / "r.ics"), store=store_path)
    assert good.code == 0 and (tmp_path / "r.ics").read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")


def test_exports_never_overwrite_the_store(store_path: Path) -> None:
    cid = _add(store_path, "--name", "李四")
    record = _file(store_path, cid)
    config = store_path / "kehu.yaml"
    before = (record.read_bytes(), config.read_bytes())
    for out in (config, record, store_path / "customers" / "x.csv"):
        result = kehu("export", "--format", "csv", str(out), store=store_path)
        assert result.code == 1 and "inside the store's records" in result.err, out
    ics = kehu("reminders", "--ics", str(config), store=store_path)
    assert ics.code == 1 and "inside the store's records" in ics.err
    assert (record.read_bytes(), config.read_bytes()) == before
    assert not (store_path / "customers" / "x.csv").exists()


# --- 5. unknown rule -------------------------------------------------------------------------


def test_an_unknown_rule_is_a_usage_error_listing_the_rules(store_path: Path) -> None:
    result = kehu("reminders", "--rule", "nosuch", store=store_path)
    assert result.code == 2
    assert "'nosuch': no such reminder rule; expected one of" in result.err
    assert "birthday" in result.err and "greeting" in result.err
    assert kehu("reminders", "--rule", "birthday", store=store_path).code == 0


# --- 6. check ------------------------------------------------------------------------------


def test_check_reports_a_broken_record_once_not_as_an_unexpected_file(store_path: Path) -> None:
    cid = _add(store_path, "--name", "李四")
    path = _file(store_path, cid)
    path.write_text(path.read_text(encoding="utf-8") + "name: [\n", encoding="utf-8")
    (store_path / "customers" / "stray.yaml").write_text("x", encoding="utf-8")
    check = kehu("check", store=store_path)
    assert check.code == 1
    lines = check.out.splitlines()
    mine = [line for line in lines if str(path) in line]
    assert len(mine) == 1 and "invalid YAML" in mine[0]
    assert [line for line in lines if "unexpected file" in line] == [
        f"{store_path / 'customers' / 'stray.yaml'}:1: unexpected file: records are "
        "customers/<shard>/<id>/customer.yaml, interactions/*.yaml or *.ledger.yaml"]


def _checked_with(store: Path, added: str) -> tuple[str, str]:
    """A new customer's file with the line ``added`` at its end, by hand: what `kehu check`
    says, and the ``path:line:`` of that line."""
    cid = _add(store, "--name", "李四")
    path = _file(store, cid)
    path.write_text(path.read_text(encoding="utf-8") + added + "\n", encoding="utf-8")
    line = len(path.read_text(encoding="utf-8").splitlines())
    check = kehu("check", store=store)
    assert check.code == 1
    return check.out, f"{path}:{line}:"


def test_an_unquoted_phone_says_to_quote_it(store_path: Path) -> None:
    said, at = _checked_with(store_path, "phones: [13912345678]")
    assert (f"{at} phones.0: a phone number is text: write it in quotes as you typed it, leading 0 "
            "or + included (unquoted, it is read as the number 13912345678)") in said
    assert "valid string" not in said


def test_text_yaml_reads_as_a_number_says_to_quote_it(store_path: Path) -> None:
    """`referrer: 00` written by hand was "referrer: Input should be a valid string": YAML read
    it as a number, and the message did not say so, nor how to keep it as typed (the tenth
    round, the lead)."""
    said, at = _checked_with(store_path, "referrer: 00")
    assert f"{at} referrer: expected text, and YAML reads this as a number: write it in quotes" in said, said


def test_an_unquoted_phone_with_a_leading_zero_is_not_shown_without_it_as_the_fix(store_path: Path) -> None:
    """`phones: [02012345678]` (a Guangzhou landline): the message said "write it in quotes,
    e.g. '2012345678'", the number YAML read, and that is the number a user copied into the
    file, losing the area code's 0."""
    cid = _add(store_path, "--name", "李四")
    path = _file(store_path, cid)
    path.write_text(path.read_text(encoding="utf-8") + "phones: [02012345678]\n", encoding="utf-8")
    check = kehu("check", store=store_path)
    assert check.code == 1 and "leading 0 or + included" in check.out, check.out
    assert "'2012345678'" not in check.out


# --- 7. plugin rules when written -------------------------------------------------------------


def test_a_plugin_rule_refuses_customer_set_and_writes_nothing(store_path: Path) -> None:
    cid = _add(store_path, "--name", "李四")
    before = _file(store_path, cid).read_bytes()
    result = kehu("customer", "set", cid, "tier_override=超级客户", store=store_path)
    assert result.code == 1
    assert "tier_override '超级客户' is not a tier here" in result.err and "(plugin tiering)" in result.err
    assert _file(store_path, cid).read_bytes() == before
    assert kehu("check", store=store_path).code == 0


def test_a_plugin_field_the_rule_accepts_is_saved(store_path: Path) -> None:
    cid = _add(store_path, "--name", "李四")
    result = kehu("customer", "set", cid, "tier_override=重要客户", store=store_path)
    assert result.code == 0, result.err
    assert kehu("customer", "show", cid, "--json", store=store_path).json()["tier_override"] == "重要客户"


def test_a_change_is_not_blocked_by_a_problem_the_file_already_had(store_path: Path) -> None:
    cid = _add(store_path, "--name", "李四")
    path = _file(store_path, cid)
    path.write_text(path.read_text(encoding="utf-8") + "tier_override: 超级客户\n", encoding="utf-8")
    result = kehu("customer", "set", cid, "owner=王芳", store=store_path)
    assert result.code == 0, result.err
    assert kehu("check", store=store_path).code == 1  # still reported where it is


# --- 8. reports ------------------------------------------------------------------------------


def test_products_text_and_json_name_the_same_days(store_path: Path) -> None:
    build_known(store_path)
    args = ("report", "products", "--today", "2026-06-30", "--period", "30d")
    data = kehu(*args, "--json", store=store_path).json()
    text = kehu(*args, store=store_path).out
    period, previous = data["period"], data["previous"]
    assert period == {"start": "2026-06-01", "end": "2026-06-30", "days": 30}
    assert f"{period['start']} – {period['end']}" in text
    assert f"{previous['start']} – {previous['end']}" in text


def test_every_product_sold_before_and_not_in_the_period_is_slow(store_path: Path) -> None:
    build_known(store_path)
    data = kehu("report", "products", "--today", "2026-06-30", "--period", "30d", "--json",
                store=store_path).json()
    rows = {p["name"]: p for p in data["products"]}
    # 茶C last sold 2026-03-15 and 茶D 2026-02-15: neither in this period nor the one before
    assert {"茶C", "茶D"} <= set(data["slow"])
    assert (rows["茶C"]["last_sold"], rows["茶D"]["last_sold"]) == ("2026-03-15", "2026-02-15")
    assert rows["茶C"]["revenue"] == 0 and rows["茶C"]["status"] == "滞销"
    text = kehu("report", "products", "--today", "2026-06-30", "--period", "30d", store=store_path).out
    assert "茶D" in text and "2026-02-15" in text


# --- 9. file modes -------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_records_follow_the_umask_as_git_does(tmp_path: Path) -> None:
    store = tmp_path / "shared"
    env = {**os.environ, "KEHU_TODAY": "2026-11-20"}
    script = ("import os, sys; os.umask(0o002); from kehu_core.cli import run; "
              "sys.exit(run(sys.argv[1:]))")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env)

    assert run("init", str(store)).returncode == 0
    added = run("--store", str(store), "customer", "add", "--name", "李四")
    assert added.returncode == 0, added.stderr
    cid = added.stdout.strip().splitlines()[-1]
    record = _file(store, cid)
    assert stat.S_IMODE(record.stat().st_mode) == 0o664
    out = tmp_path / "x.csv"
    assert run("--store", str(store), "export", "--format", "csv", str(out)).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o664


def test_new_file_mode_is_0666_less_the_umask() -> None:
    assert new_file_mode() == 0o666 & ~process_umask()
