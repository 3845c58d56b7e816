"""Duplicates, re-imports, dry runs, bad rows and plugin formats of `kehu import`."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from kehu_core.hookspecs import hookimpl
from kehu_core.plugins import ImportedContact
from kehu_core.services.importing import import_files
from kehu_core.store import open_store
from tests.conftest import git, kehu

DATA = Path(__file__).parent / "data" / "import"


def _files(store: Path) -> set[str]:
    return {p.relative_to(store).as_posix() for p in (store / "customers").rglob("*.yaml")}


def test_phone_contacts_merge_into_existing_customer_across_formats(store_path: Path) -> None:
    added = kehu("customer", "add", "--name", "赵敏", "--phone", "139-1234-5678", "--title", "经理",
                 "--tag", "老客户", store=store_path)
    cid = added.out.strip()
    summary = kehu("import", str(DATA / "android_2.1.vcf"), str(DATA / "iphone_3.0.vcf"), "--json",
                   store=store_path).json()
    merged = [m for m in summary["merged"] if m["id"] == cid]
    assert len(merged) == 1 and merged[0]["rows"] == 2  # both files' 赵敏 went into one customer
    zhao = open_store(store_path).get(cid)
    assert zhao.phones == ["+8613912345678", "+8657187654321", "+8657188886666"]
    assert zhao.emails == ["zhaomin@example.com", "zhao.min@yunqi-tech.cn"]
    assert zhao.tags == ["老客户", "VIP", "企业客户"]
    assert zhao.title == "经理"  # a conflicting field is listed, never overwritten
    assert any(c.startswith("title: kept '经理'") for c in merged[0]["conflicts"])
    assert zhao.birthday == "1985-04-12"  # --04-12 from the iPhone agrees with it
    names = [c.customer.name for c in open_store(store_path).index.list()]
    assert names.count("赵敏") == 1


def test_reimporting_the_same_files_adds_nothing(store_path: Path) -> None:
    files = [str(DATA / n) for n in ("shop_sheet.xlsx", "android_2.1.vcf", "google_contacts.csv",
                                     "contacts_4.0.vcf")]
    first = kehu("import", *files, "--json", store=store_path).json()
    assert first["purchases_added"] == 7
    before = {p: (store_path / p).read_bytes() for p in _files(store_path)}
    again = kehu("import", *files, "--json", store=store_path)
    assert again.code == 0
    summary = again.json()
    assert summary["created"] == [] and summary["merged"] == []
    assert summary["purchases_added"] == 0 and summary["purchases_existing"] == 7
    after = {p: (store_path / p).read_bytes() for p in _files(store_path)}
    assert after == before


def test_dry_run_reports_and_writes_nothing(store_path: Path) -> None:
    head = git(store_path, "rev-parse", "HEAD")
    result = kehu("import", str(DATA / "shop_sheet.xlsx"), "--dry-run", store=store_path)
    assert result.code == 0, result.err
    assert "dry run: nothing was written" in result.out
    assert "would create" in result.out and "3 created" in result.out and "7 purchases to add" in result.out
    assert _files(store_path) == set()
    assert git(store_path, "status", "--porcelain") == "" and git(store_path, "rev-parse", "HEAD") == head
    # The dry run and the real import decide the same things.
    dry = kehu("import", str(DATA / "shop_sheet.xlsx"), "--dry-run", "--json", store=store_path).json()
    real = kehu("import", str(DATA / "shop_sheet.xlsx"), "--json", store=store_path).json()
    assert [c["name"] for c in dry["created"]] == [c["name"] for c in real["created"]]
    assert dry["purchases_added"] == real["purchases_added"] == 7


def test_bad_rows_are_reported_by_line_and_good_rows_imported(store_path: Path) -> None:
    result = kehu("import", str(DATA / "bad_rows.csv"), store=store_path)
    assert result.code == 1
    bad = str(DATA / "bad_rows.csv")
    assert f"{bad}:3: column A (交易日期): date '2024/13/1': there is no month 13" in result.err
    assert f"{bad}:4: column E (成交金额): amount '四百二'" in result.err
    assert f"{bad}:5: column C (联系电话): not a phone number: '见微信'" in result.err
    assert f"{bad}:7: row has no name, customer id, phone or email" in result.err
    names = {c.customer.name: c for c in open_store(store_path).index.list()}
    assert set(names) == {"周杰", "冯雪"}
    assert names["冯雪"].revenue == Decimal("1360.00")  # "1,360.00" quoted in the CSV


def test_broken_vcards_do_not_stop_the_others(store_path: Path) -> None:
    result = kehu("import", str(DATA / "broken.vcf"), "--json", store=store_path)
    assert result.code == 1
    summary = result.json()
    assert [p.split(": ", 1)[0].rsplit(":", 1)[1] for p in summary["problems"]] == ["1", "6", "12"]
    assert "not an email address: 'not-an-email'" in summary["problems"][1]
    assert "birthday '1990-13-45'" in summary["problems"][2]
    assert [c["name"] for c in summary["created"]] == ["吴婷"]


def test_ids_in_the_file_keep_two_customers_sharing_an_email_apart(store_path: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "family.csv"
    sheet.write_text("顾客ID,姓名,邮箱\nF1,张伟,family@example.com\nF2,张伟的妻子,family@example.com\n"
                     ",张伟,family@example.com\n", encoding="utf-8")
    summary = kehu("import", str(sheet), "--json", store=store_path).json()
    assert sorted(c["id"] for c in summary["created"]) == ["F1", "F2"]
    assert any("also belongs to F1" in c for c in summary["created"][1]["conflicts"])
    # Later, a contact with that email and no id is the first customer who has it.
    assert open_store(store_path).index.count() == 2


def test_name_only_contacts_are_not_duplicated_on_reimport(store_path: Path, tmp_path: Path) -> None:
    card = tmp_path / "one.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:老周\r\nNOTE:茶叶店隔壁\r\nEND:VCARD\r\n", encoding="utf-8")
    kehu("import", str(card), store=store_path)
    again = kehu("import", str(card), "--json", store=store_path).json()
    assert again["created"] == [] and len(again["skipped"]) == 1
    assert open_store(store_path).index.count() == 1


class _TabImporter:
    """A plugin format: tab-separated 'name<TAB>phone' lines."""

    name = "tabs"

    def detect(self, path: Path, head: bytes) -> bool:
        return path.suffix == ".tsv"

    def read(self, path: Path, store):  # noqa: ANN001, ANN201
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            name, phone = line.split("\t")
            yield ImportedContact(source=f"{path}:{number}", fields={"name": name, "phones": [phone]})


class _TabPlugin:
    @hookimpl
    def importers(self) -> list:
        return [_TabImporter()]


def test_plugins_add_import_formats_through_the_hook(store_path: Path, tmp_path: Path) -> None:
    store = open_store(store_path)
    store.plugins.register(_TabPlugin(), name="tabs")
    data = tmp_path / "list.tsv"
    data.write_text("孙丽\t13800138000\n周强\t+86 186 0000 3333\n", encoding="utf-8")
    summary = import_files(store, [data])
    assert [c["name"] for c in summary.created] == ["孙丽", "周强"]
    assert {c.customer.phones[0] for c in open_store(store_path).index.list()} == {
        "+8613800138000", "+8618600003333"}


def test_unknown_format_is_a_clear_error(store_path: Path) -> None:
    result = kehu("import", str(DATA / "shop_utf8.csv"), "--format", "pdf", store=store_path)
    assert result.code == 1
    assert "unknown import format 'pdf'" in result.err and "google-csv" in result.err
