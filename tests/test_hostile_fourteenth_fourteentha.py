"""The fourteenth outside round (fourteentha, 2026-12-06), kinds 1 to 4: new variants of links
and special files, text read one way and written another, values that pass one door and not
another, and writes that land in the wrong place. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import json
from pathlib import Path

from kehu_core.ids import shard

from . import test_hostile_limits
from .conftest import kehu
from .test_hostile_links import open_folder  # noqa: F401 - a fixture

no_traceback = test_hostile_limits.no_traceback


def _keyed_shop(tmp_path: Path) -> tuple[Path, Path]:
    """A store with 张三 (zhangsan) and 李四 (lisi, referred by 张三, a phone, do not contact),
    one reader's key in kehu.yaml; the store and the reader's identity file."""
    from pyrage import x25519

    identity = x25519.Identity.generate()
    key = tmp_path / "key.txt"
    key.write_text(f"{identity}\n", encoding="utf-8")
    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    for args in (("--name", "张三", "--id", "zhangsan"),
                 ("--name", "李四", "--id", "lisi", "--referrer", "zhangsan", "--phone", "13800138000")):
        added = kehu("customer", "add", *args, store=path)
        assert added.code == 0, added.err
    assert kehu("customer", "set", "lisi", "do_not_contact=true", store=path).code == 0
    assert kehu("keys", "add", "王芳", str(identity.to_public()), store=path).code == 0
    return path, key


def test_a_field_kehus_own_rules_read_cannot_be_made_confidential(tmp_path: Path) -> None:
    """`kehu keys fields add do_not_contact` (`referrer`, `conflicts`, `also_known`,
    `import_extra`; or so by hand in kehu.yaml): each was taken, exit 0, and its values sealed,
    which kehu's own rules then read as absent for every rep, the key holder too: `kehu send`
    messaged the customer who had asked not to be contacted, `customer set zhangsan
    referrer=lisi` closed a loop of referrals and `kehu check` said ok, a merge conflict waiting
    for a choice was hidden from `check` (so `kehu sync` pushed it). Each is refused as `id` and
    `name` are, by `keys fields add` and, written by hand, at kehu.yaml's `fields:` line."""
    path, key = _keyed_shop(tmp_path)
    config = path / "kehu.yaml"
    before = config.read_text(encoding="utf-8")
    for field in ("do_not_contact", "referrer", "conflicts", "also_known", "import_extra"):
        added = kehu("keys", "fields", "add", field, store=path)
        assert added.code == 1, (field, added.err)
        assert field in added.err and "confidential" in added.err, added.err
        no_traceback(added)
        assert config.read_text(encoding="utf-8") == before, field
    # the customer who asked not to be contacted is still skipped, key or no key
    for identity in ((), ("--identity", str(key))):
        sent = kehu(*identity, "send", "--segment", "all", "--template", "birthday", "--channel", "sms",
                    "--dry-run", "--json", store=path)
        assert sent.code == 0, sent.err
        assert json.loads(sent.out)["counts"].get("do_not_contact") == 1, sent.out

    # written by hand (a colleague's kehu.yaml, arriving by kehu sync): named at its line
    lines = before.splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if line.strip() == "- personality") + 1
    config.write_text("".join([*lines[:at], "  - do_not_contact\n", *lines[at:]]), encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1, checked.out
    fields_line = next(n for n, line in enumerate(lines, 1) if line.strip() == "fields:")
    assert f"{config}:{fields_line}: confidential.fields: 'do_not_contact'" in checked.err, checked.err
    no_traceback(checked)
    profile = path / "customers" / shard("lisi") / "lisi" / "customer.yaml"
    assert "do_not_contact: true" in profile.read_text(encoding="utf-8")


def test_a_template_saved_with_a_byte_order_mark_keeps_its_subject(tmp_path: Path) -> None:
    """A message template in `templates/` saved by Windows Notepad (a UTF-8 byte order mark,
    CRLF), shared by `kehu sync`: the mark was read as the first character of its text, so its
    `Subject:` line was no subject — every message went out with none, its body starting with an
    invisible U+FEFF and the words `Subject: …`, `kehu check` ok. A template is read as the
    store's other text is, the mark no part of it."""
    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    added = kehu("customer", "add", "--name", "李四", "--phone", "13800138000", store=path)
    assert added.code == 0, added.err
    (path / "templates").mkdir()
    (path / "templates" / "hi.j2").write_bytes(
        "\ufeffSubject: 你好 {{ name }}\r\n\r\n{{ name }}您好\r\n".encode())
    sent = kehu("send", "--segment", "all", "--template", "hi", "--channel", "sms", "--dry-run", "--json",
                store=path)
    assert sent.code == 0, sent.err
    message = json.loads(sent.out)["messages"][0]
    assert (message["subject"], message["body"]) == ("你好 李四", "李四您好"), message


def test_an_identity_file_saved_with_a_byte_order_mark_opens_the_fields(tmp_path: Path) -> None:
    """The age identity file (`--identity`, `KEHU_IDENTITY`) opened and saved again in Windows
    Notepad (a UTF-8 byte order mark, CRLF): "no age identity in it (a line AGE-SECRET-KEY-1...)"
    though its one line is that key, so the key holder read none of the confidential fields. The
    mark is no part of the text, as in a record."""
    path, key = _keyed_shop(tmp_path)
    assert kehu("customer", "set", "zhangsan", "family=妻子", store=path).code == 0
    notepad = tmp_path / "notepad.txt"
    notepad.write_bytes(b"\xef\xbb\xbf" + key.read_bytes().replace(b"\n", b"\r\n"))
    shown = kehu("--identity", str(notepad), "customer", "show", "zhangsan", "--json", store=path)
    assert shown.code == 0, shown.err
    assert shown.json()["family"] == "妻子", shown.out


def test_an_smtp_password_in_kehu_yaml_is_never_pushed(tmp_path: Path) -> None:
    """kehu.yaml's `smtp: password: …` (the mail account's password, written where the other
    smtp settings are): `kehu check` said ok and `kehu sync` committed and pushed it to the
    team's remote, where every clone and the git host hold it; only `kehu send` said that
    passwords are never kept in the store, after it had been shared. kehu.yaml holding one is
    refused at its line by every command, `check` and `sync` too, so nothing is committed."""
    import subprocess

    from .conftest import git

    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(path, "remote", "add", "origin", str(remote))
    config = path / "kehu.yaml"
    before = config.read_text(encoding="utf-8")
    config.write_text(before + "smtp:\n  host: smtp.qq.com\n  from: shop@qq.com\n  username: shop@qq.com\n"
                      "  password: hunter2secret\n", encoding="utf-8")
    line = len(before.splitlines()) + 5
    for args in (("check",), ("sync",), ("customer", "list")):
        refused = kehu(*args, store=path)
        assert refused.code == 1, (args, refused.out, refused.err)
        assert f"{config}:{line}: smtp.password: " in refused.err, (args, refused.err)
        no_traceback(refused)
    pushed = subprocess.run(["git", "-C", str(remote), "log", "--all", "-p", "--format="],
                            capture_output=True, text=True).stdout
    assert "hunter2secret" not in pushed, pushed
    # the password's place, an environment variable named in password_env, is read as before
    config.write_text(before + "smtp:\n  host: smtp.qq.com\n  from: shop@qq.com\n  username: shop@qq.com\n"
                      "  password_env: KEHU_SMTP_PASSWORD\n", encoding="utf-8")
    assert kehu("check", store=path).code == 0


def test_an_unreadable_file_outside_the_records_is_named_by_check(open_folder: Path) -> None:  # noqa: F811
    """A message template, kehu's own `.gitignore`, or a folder of the store's own (`docs/`)
    that the user cannot read (left by a `sudo` editor or tool, another user's files): `kehu
    check` said ok — it names unreadable records only —, then `kehu sync` ended in git's own
    words, "git add -A -- . failed: error: open("templates/hi.j2"): Permission denied", and
    `kehu send` could not read the template. Each is named by `check` at its path."""
    import os

    from .test_hostile_links import _as_reader

    store = open_folder / "shop"
    assert kehu("init", str(store)).code == 0
    (store / "templates").mkdir()
    (store / "templates" / "hi.j2").write_text("Subject: 你好\n\n{{ name }}\n", encoding="utf-8")
    (store / "docs").mkdir()
    (store / "docs" / "a.md").write_text("x\n", encoding="utf-8")
    home = open_folder / "home"
    home.mkdir()
    os.chmod(home, 0o777)
    for path in [store, *store.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    hidden = [store / "templates" / "hi.j2", store / ".gitignore", store / "docs"]
    for path in hidden:
        os.chmod(path, 0)
    checked = _as_reader(store, home, "check")
    said = checked.stdout + checked.stderr
    assert checked.returncode == 1, said
    for path in hidden:
        assert f"{path}:1: cannot read: " in said and "ermission denied" in said, (path, said)
    assert "Traceback" not in said


def test_a_clone_git_refuses_to_work_in_is_said_before_a_command_that_commits(open_folder: Path) -> None:  # noqa: F811
    """A store whose clone belongs to another user (made by `sudo git clone`, a shared folder
    copied as root), which git refuses to work in ("dubious ownership"), then `kehu handover`,
    `kehu customer merge`, `kehu git-setup`: each took it for a store with no git — the
    hand-over and the merge changed the files and committed nothing, exit 0, though each says
    it is one commit; `git-setup` said "not a git repository; `git init` it first". Each says
    git's reason, as `kehu sync` does, and changes nothing."""
    import os

    import pytest

    from .test_hostile_links import _as_reader

    if os.geteuid() != 0:
        pytest.skip("a clone of another user's needs root to make")
    store = open_folder / "shop"
    assert kehu("init", str(store)).code == 0
    for name, cid in (("张三", "zhangsan"), ("张三", "zhangsan2")):
        added = kehu("customer", "add", "--name", name, "--id", cid, "--owner", "王芳", store=store)
        assert added.code == 0, added.err
    home = open_folder / "home"
    home.mkdir()
    for path in [store, home, *store.rglob("*")]:
        os.chmod(path, 0o777 if path.is_dir() else 0o666)  # 'nobody' may write; git still refuses it
    before = {p: p.read_bytes() for p in (store / "customers").rglob("*.yaml")}
    for args in (("handover", "王芳", "李四"), ("customer", "merge", "zhangsan", "zhangsan2"), ("git-setup",)):
        done = _as_reader(store, home, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert "dubious ownership" in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert {p: p.read_bytes() for p in (store / "customers").rglob("*.yaml")} == before, args


def test_a_future_visit_is_refused_without_offering_a_switch_the_command_lacks(tmp_path: Path) -> None:
    """`kehu visits done ID --outcome … --date 2030-01-01` (a typo for 2020, or next year's
    day): refused, "a future date is refused unless --allow-future", a switch `visits done`
    does not have ("No such option" when tried). It says what is wrong and no more, as the
    TUI's visit form does."""
    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    assert kehu("customer", "add", "--name", "张三", "--id", "zhangsan", store=path).code == 0
    done = kehu("visits", "done", "zhangsan", "--outcome", "谈了新茶", "--date", "2030-01-01", store=path)
    assert done.code == 1, done.out
    assert "2030-01-01 is after today" in done.err and "--allow-future" not in done.err, done.err
    assert not list((path / "customers").rglob("interactions/*.yaml"))


def test_an_export_never_overwrites_the_identity_file_it_was_given(tmp_path: Path) -> None:
    """`kehu --identity ~/.config/kehu/key.txt export --reveal --format csv ~/.config/kehu/key.txt`
    (the key's path typed twice, or completed by the shell; `KEHU_IDENTITY` set in the shell's
    profile), `reminders --ics` and `visits cards` likewise: the private key was replaced by the
    export, exit 0 — the one key that opens the confidential fields, lost. The identity file
    kehu was given is refused as a target, as the store's own files are; through a link too."""
    path, key = _keyed_shop(tmp_path)
    secret = key.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(key)
    for target in (key, link):
        for args in (("export", "--format", "csv", str(target)), ("reminders", "--ics", str(target)),
                     ("visits", "cards", "--owner", "王芳", str(target))):
            refused = kehu("--identity", str(key), *args, store=path)
            assert refused.code == 1, (args, refused.out, refused.err)
            assert "identity" in refused.err, refused.err
            no_traceback(refused)
            assert key.read_bytes() == secret, args


def test_an_address_cell_of_brackets_nested_past_pythons_stack_is_a_problem_at_its_row(tmp_path: Path) -> None:
    """A sheet (CSV or xlsx) whose address cell is `[[[[…]]]]` 30 000 deep (a generated or
    hostile file): `kehu import` ended in "internal error: RecursionError" — the cell, starting
    with `[`, was read as the JSON list of addresses `kehu export` writes. It is text, as a
    vCard's such value is: one address too long, a problem at its row; the other rows import."""
    import openpyxl

    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    deep = "[" * 30_000 + "]" * 30_000
    sheet = tmp_path / "deep.csv"
    sheet.write_text(f'name,address\n王芳,"{deep}"\n李四,北京\n', encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append(["name", "address"])
    book.active.append(["赵敏", deep])
    book.active.append(["周芷若", "上海"])
    book.save(tmp_path / "deep.xlsx")
    for name, kept in (("deep.csv", "李四"), ("deep.xlsx", "周芷若")):
        imported = kehu("import", str(tmp_path / name), store=path)
        assert imported.code == 1, imported.err
        assert f"{tmp_path / name}:2: " in imported.err + imported.out, imported.err
        no_traceback(imported)
        assert "internal error" not in imported.err
        assert kept in kehu("customer", "list", store=path).out


def test_a_tier_review_of_a_day_not_yet_come_is_refused(tmp_path: Path) -> None:
    """`kehu tier record --as-of 2199-12-31` (a typo for 2026-12-31): every customer's move was
    written to the tiers ledger dated 2199-12-31, exit 0, `check` ok — each key customer
    "moved" to the bottom tier, as nothing was bought in that window, and `kehu tier` listed the
    moves among those of the last 30 days; later reviews compared with them. A review's day
    after the store's day is refused, nothing written, as a sale's is; a past one is taken
    (the month just ended)."""
    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    for n in range(1, 6):
        assert kehu("customer", "add", "--name", f"客{n}", "--id", f"kehu{n}", store=path).code == 0
        assert kehu("purchase", "add", f"kehu{n}", "--item", "茶", "--amount", str(n * 100), store=path).code == 0
    ledgers = sorted((path / "customers").rglob("tiers.ledger.yaml"))
    before = [p.read_bytes() for p in ledgers]
    recorded = kehu("tier", "record", "--as-of", "2199-12-31", store=path)
    assert recorded.code == 1, recorded.out + recorded.err
    assert "2199-12-31" in recorded.err and "after today" in recorded.err, recorded.err
    no_traceback(recorded)
    assert [p.read_bytes() for p in ledgers] == before
    assert kehu("tier", "record", "--as-of", "2026-10-31", store=path).code == 0


def test_a_tier_override_whose_reason_the_ledger_refuses_changes_nothing(tmp_path: Path) -> None:
    """`kehu tier set ID 主要客户 --reason $'\\e[31m…'` (a reason pasted with a terminal's colour
    codes): refused, exit 1, "holds the control character U+001B" — after the override was
    written to the profile, so the customer was pinned to the tier while the ledger held no
    move, the refusal saying nothing of it. The move's line is checked before anything is
    written, and the refusal names `--reason`."""
    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    for n in range(1, 4):
        assert kehu("customer", "add", "--name", f"客{n}", "--id", f"kehu{n}", store=path).code == 0
        assert kehu("purchase", "add", f"kehu{n}", "--item", "茶", "--amount", str(n * 100), store=path).code == 0
    folder = path / "customers" / shard("kehu1") / "kehu1"
    before = {p.name: p.read_bytes() for p in folder.glob("*.yaml")}
    pinned = kehu("tier", "set", "kehu1", "重要客户", "--reason", "\x1b[31m大客户", store=path)
    assert pinned.code == 1, pinned.err
    assert "--reason" in pinned.err and "U+001B" in pinned.err, pinned.err
    no_traceback(pinned)
    assert {p.name: p.read_bytes() for p in folder.glob("*.yaml")} == before
    assert kehu("tier", "set", "kehu1", "重要客户", "--reason", "大客户", store=path).code == 0


def test_kehus_own_state_is_never_committed_whatever_the_gitignore_says(tmp_path: Path) -> None:
    """The store's `.gitignore` rewritten without `.kehu/` (tidied by hand, an editor's or a
    tool's own .gitignore written over it), then `kehu sync`: `check` said ok and the sync
    committed and pushed `.kehu/` — the index of every customer, the undo journal's copies of
    records as they were, the lock — to the team's remote, which every other clone then refused
    to merge. A sync keeps `.kehu/` out of its commits and says why."""
    import subprocess

    from .conftest import git

    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(path, "remote", "add", "origin", str(remote))
    assert kehu("customer", "add", "--name", "张三", "--id", "zhangsan", store=path).code == 0
    assert kehu("customer", "set", "zhangsan", "nickname=小张", store=path).code == 0  # an undo entry
    (path / ".gitignore").write_text("*.tmp\n", encoding="utf-8")
    synced = kehu("sync", store=path)
    assert synced.code == 0, synced.out + synced.err
    assert ".kehu" in synced.err, synced.err
    pushed = subprocess.run(["git", "-C", str(remote), "log", "--all", "--name-only", "--format="],
                            capture_output=True, text=True).stdout
    assert "customers/" in pushed and ".kehu/" not in pushed, pushed
    assert (path / ".kehu" / "journal").is_dir()


def test_a_private_key_in_the_stores_folder_is_never_pushed(tmp_path: Path) -> None:
    """`age-keygen -o key.txt` run in the store's folder (where a rep works), or an SSH key
    copied there, then `kehu sync` (with `--identity key.txt` or without): `check` said ok and
    the sync committed and pushed the private key to the team's remote — every rep could then
    open every confidential field. A file of the store's folder holding a private key is named
    by `check`, so the sync commits nothing; one git ignores is the user's own."""
    import subprocess

    from .conftest import git

    path, key = _keyed_shop(tmp_path)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(path, "remote", "add", "origin", str(remote))
    inside = path / "key.txt"
    inside.write_bytes(key.read_bytes())
    (path / "docs").mkdir()
    ssh = path / "docs" / "id_ed25519"
    ssh.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                   "-----END OPENSSH PRIVATE KEY-----\n", encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1, checked.out
    for found in (inside, ssh):
        assert f"{found}:1: " in checked.out and "private key" in checked.out, checked.out
    synced = kehu("--identity", str(inside), "sync", store=path)
    assert synced.code == 1, synced.out + synced.err
    assert "key.txt" in synced.err, synced.err
    pushed = subprocess.run(["git", "-C", str(remote), "log", "--all", "-p", "--format="],
                            capture_output=True, text=True).stdout
    assert "AGE-SECRET-KEY" not in pushed and "PRIVATE KEY" not in pushed
    # listed in .gitignore by the user: never shared, nothing to say
    with (path / ".gitignore").open("a", encoding="utf-8") as ignore:
        ignore.write("key.txt\ndocs/\n")
    assert kehu("check", store=path).code == 0


def test_an_export_writes_a_list_of_mappings_as_json_not_pythons_repr(tmp_path: Path) -> None:
    """`kehu export --format csv` (xlsx too) of a customer another was merged into: the
    `also_known` cell read `{'id': 'zhangsan2', 'merged': '2026-11-20', 'name': '张三丰'}` —
    Python's own notation, which no spreadsheet, script or JSON reader takes (a `conflicts:`
    list likewise; a vCard wrote the same as JSON). A list holding mappings or lists is one JSON
    cell, as a mapping already was; a list of texts is `a; b` as before."""
    import csv

    import openpyxl

    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    for name, cid in (("张三", "zhangsan"), ("张三丰", "zhangsan2")):
        assert kehu("customer", "add", "--name", name, "--id", cid, "--tag", "VIP", "--tag", "茶",
                    store=path).code == 0
    assert kehu("customer", "merge", "zhangsan", "zhangsan2", store=path).code == 0
    wanted = [{"id": "zhangsan2", "merged": "2026-11-20", "name": "张三丰"}]
    assert kehu("export", "--format", "csv", str(tmp_path / "out.csv"), store=path).code == 0
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["id"] == "zhangsan")
    assert json.loads(row["also_known"]) == wanted, row["also_known"]
    assert row["tags"] == "VIP; 茶"
    assert kehu("export", "--format", "xlsx", str(tmp_path / "out.xlsx"), store=path).code == 0
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    header = [c.value for c in sheet[1]]
    cells = next(dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)
                 if r[0].value == "zhangsan")
    assert json.loads(cells["also_known"]) == wanted, cells["also_known"]


def test_a_send_rate_that_is_no_rate_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    """`kehu send --rate 1e-9` (a rate typed in the wrong unit, or `outreach: rate_per_minute:`
    so in kehu.yaml): the first message went out, then "internal error: OverflowError" (a wait of
    6·10¹⁰ s), the rest unsent; `--rate nan` sent everything at once, as no rate. A rate is a
    number of messages a minute, at least 0.001 (`outreach.LEAST_RATE`), refused before anything is sent."""
    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    for name, phone in (("王五", "13800138009"), ("赵六", "13800138008")):
        assert kehu("customer", "add", "--name", name, "--phone", phone, store=path).code == 0
    outbox = path / ".kehu" / "outbox"
    for rate in ("1e-9", "nan", "inf", "0"):
        sent = kehu("send", "--segment", "all", "--template", "birthday", "--channel", "sms", "--rate", rate,
                    store=path)
        assert sent.code == 1, (rate, sent.err)
        assert "messages per minute" in sent.err, sent.err
        no_traceback(sent)
        assert not outbox.exists() or not list(outbox.iterdir()), rate
    config = path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "outreach:\n  rate_per_minute: 1e-9\n", encoding="utf-8")
    sent = kehu("send", "--segment", "all", "--template", "birthday", "--channel", "sms", store=path)
    assert sent.code == 1 and "messages per minute" in sent.err, sent.err
    assert not outbox.exists() or not list(outbox.iterdir())
