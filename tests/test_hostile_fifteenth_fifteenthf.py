"""The fifteenth outside round (F, 2026-12-06), kinds 1, 4 and 5: git's settings a clone
lives with (a hooks folder of its own or the machine's) and the phone's writes to a customer
since merged away. Each failed on the code before its fix. See docs/reliability.md, "The
outside attacker's variants"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import git, kehu
from .test_serve import DAY, _etag, card_url, serving

NODE_HOOK = '#!/usr/bin/env node\nconsole.log("the team\'s own hook")\n'


def test_kehu_never_writes_its_hooks_into_a_hooks_folder_outside_the_clone(tmp_path: Path) -> None:
    """A global ``core.hooksPath`` (husky, a company's hooks: one folder every repository on the
    machine runs) or the clone's own naming a committed folder: `kehu init` and `kehu git-setup`
    wrote kehu's three hooks into it (run in every other repository), and `kehu sync` committed
    and pushed them to the team, naming this machine's interpreter. Now nothing is written
    there; init and git-setup say so and give the line to add by hand
    (`git_hooks.install_index_hooks`)."""
    shared = Path.home() / ".githooks"
    shared.mkdir()
    git(tmp_path, "config", "--global", "core.hooksPath", str(shared))
    made = kehu("init", str(tmp_path / "shop"))
    assert made.code == 0, made.err
    assert list(shared.iterdir()) == []
    assert "core.hooksPath" in made.err and "reindex --git" in made.err
    git(tmp_path, "config", "--global", "--unset", "core.hooksPath")

    shop = tmp_path / "shop"
    git(tmp_path, "init", "-q", "--bare", str(tmp_path / "team.git"))
    git(shop, "remote", "add", "origin", str(tmp_path / "team.git"))
    git(shop, "config", "core.hooksPath", ".githooks")  # a folder of the store, which is committed
    setup = kehu("git-setup", store=shop)
    assert setup.code == 0, setup.err
    assert not (shop / ".githooks").exists()
    assert "core.hooksPath" in setup.err
    assert kehu("customer", "add", "--name", "甲", store=shop).code == 0
    synced = kehu("sync", store=shop)
    assert synced.code == 0, synced.err
    assert ".githooks" not in git(tmp_path / "team.git", "log", "--name-only", "--format=")


def test_a_hook_of_the_users_that_is_not_a_shell_script_is_left_as_it_is(store_path: Path, tmp_path: Path) -> None:
    """A post-checkout hook in node, a post-merge hook linked to a file of the user's elsewhere:
    `kehu git-setup` added shell lines at the end of the node script (which then failed on every
    checkout) and wrote through the link into the file it names. Now both are left as they are,
    with the line to add by hand; a shell hook of the user's still gets kehu's line at its end
    (`git_hooks.install_index_hooks`)."""
    hooks = store_path / ".git" / "hooks"
    (hooks / "post-checkout").write_text(NODE_HOOK)
    theirs = tmp_path / "my-post-merge"
    theirs.write_text("#!/bin/sh\necho mine\n")
    (hooks / "post-merge").unlink()
    (hooks / "post-merge").symlink_to(theirs)
    (hooks / "post-rewrite").write_text("#!/bin/bash -e\necho rewritten\n")
    setup = kehu("git-setup", store=store_path)
    assert setup.code == 0, setup.err
    assert (hooks / "post-checkout").read_text() == NODE_HOOK
    assert theirs.read_text() == "#!/bin/sh\necho mine\n"
    assert "post-checkout: left as it is" in setup.err and "post-merge: left as it is" in setup.err
    rewrite = (hooks / "post-rewrite").read_text()
    assert rewrite.startswith("#!/bin/bash -e\necho rewritten\n") and "reindex --git" in rewrite


def _customers(root: Path) -> list[tuple[str, str]]:
    return sorted((c["id"], c["name"]) for c in json.loads(kehu("customer", "list", "--json", store=root).out))


@pytest.mark.parametrize("how", ["merge", "reid"])
def test_a_phones_edit_of_a_card_whose_customer_was_merged_or_given_a_new_id(
        tmp_path_factory: pytest.TempPathFactory, how: str) -> None:
    """The rep's phone edits 赵敏's card (a new phone number) before its next sync, while in kehu
    赵敏 was merged into 李四 (`kehu customer merge`) or given a new id (`kehu customer reid`).
    Sent with If-Match it got a bare 412 "Precondition failed" and the phone dropped the edit;
    sent without, it made a new customer 赵敏 of the card (the merged one back, its old id as
    the card's UID); a DELETE got a bare 404. Now nothing is made, and each answer says where the
    customer went: 412 and 409 and 404 naming the kept customer and its card
    (`serve.cards.gone`)."""
    with serving(tmp_path_factory, f"gone-{how}") as server:
        git(server.root, "init", "-q")
        git(server.root, "add", "-A")
        git(server.root, "commit", "-qm", "the shop's store")
        session = server.session("wangfang")
        zhao, li = server.ids["赵敏"], server.ids["李四"]
        url = card_url(server, "wangfang", "赵敏")
        etag, text = _etag(session, url)
        args = ("customer", "merge", li, zhao) if how == "merge" else ("customer", "reid", zhao)
        done = kehu("--today", DAY, *args, store=server.root)
        assert done.code == 0, done.err
        kept = li if how == "merge" else done.out.split()[-1]
        before = _customers(server.root)
        edited = text.replace("tel:+8613912345678", "tel:+8613900001111").encode()
        stale = session.put(url, data=edited, headers={"If-Match": etag, "Content-Type": "text/vcard"})
        assert stale.status_code == 412
        assert f"{kept}.vcf" in stale.text and "nothing was changed" in stale.text
        bare = session.put(url, data=edited, headers={"Content-Type": "text/vcard"})
        assert bare.status_code == 409, bare.text
        assert f"{kept}.vcf" in bare.text
        assert _customers(server.root) == before
        deleted = session.delete(url)
        assert deleted.status_code == 404 and f"{kept}.vcf" in deleted.text
        assert _customers(server.root) == before
