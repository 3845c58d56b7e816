"""The twenty-third round, tuiend: the open TUI following what changes under it (kehu.yaml read
again, the index damaged under the watcher)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.testing import make_store, screen_text, wait_until

from .test_hostile_twentyfirst_twentyfirstc import settings_changed


@pytest.mark.asyncio
async def test_the_tier_filters_suggestions_follow_kehu_yaml_read_again(tmp_path: Path) -> None:
    """A colleague renamed a tier in kehu.yaml and a `kehu sync` in another terminal pulled it:
    the open TUI read the settings again and the list showed the new name, but the filter bar's
    tier field still suggested the old names (made once, when the bar was composed), and the
    new name typed was not completed. The suggestions follow the settings read again."""
    from kehu_tui.app import KehuApp
    from textual.widgets import Input

    store = make_store(tmp_path / "store", today="2026-03-10", customers=[{
        "name": "赵敏", "interactions": [{"kind": "purchase", "date": "2026-03-01", "amount": 1288}]}],
        settings={"tiering": {"pyramid": {"shares": [1.0], "names": ["铜牌客户"]}}}, disabled=["points"])
    app = KehuApp(store, watch_interval=0.1)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "铜牌客户" in screen_text(app), what="her tier")
        await pilot.pause(1.0)  # the app's first looks at the store are done
        settings_changed(store.root, "铜牌客户", "金牌客户")
        await wait_until(pilot, lambda: "金牌客户" in screen_text(app), what="the colleague's tier name")
        await pilot.press("f")
        tier = app.screen.query_one("#filter-tier", Input)
        tier.focus()
        await pilot.press("金")
        await pilot.pause(0.3)  # the suggestion is looked up by a worker of the field's
        await pilot.press("right")  # takes the suggestion, as a user completes the name
        await wait_until(pilot, lambda: tier.value == "金牌客户", what=f"金 completed (the field says {tier.value!r})")
        tier.value = ""
        await pilot.press("铜")
        await pilot.pause(0.3)
        await pilot.press("right")
        await pilot.pause(0.3)
        assert tier.value == "铜", "the old name is no longer suggested"
    assert app.return_code is None
