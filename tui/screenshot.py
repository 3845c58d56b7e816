"""Save SVG screenshots of the app on the demo store (the README's pictures).

    python -m kehu_tui.screenshot docs/            # docs/tui.svg, docs/tui-dashboard.svg
    python -m kehu_tui.screenshot docs/zh --lang zh_CN   # the same screens in Chinese

The app runs headless on a temporary copy of the bundled demo store, on the demo's "today",
and saves what it shows with ``App.save_screenshot`` (the same as pressing F2).
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

SHOTS = [("tui.svg", ()), ("tui-dashboard.svg", ("d",)), ("tui-customer.svg", ("slash", "z", "m", "enter"))]


async def _shoot(store_path: Path, out: Path, keys: tuple[str, ...]) -> None:
    from kehu_core.demo import TODAY
    from kehu_core.store import open_store

    from .app import KehuApp
    from .widgets.customers.cells import PENDING
    from .widgets.customers.table import CustomerTable

    app = KehuApp(open_store(store_path), today=TODAY, watch_interval=0)
    async with app.run_test(size=(130, 36)) as pilot:
        await pilot.press(*keys)
        for _ in range(400):  # let the background work (plugin values) land
            await pilot.pause(0.05)
            tables = app.screen.query(CustomerTable)
            pending = any(t.values_pending or PENDING in str(t.get_row_at(0)) for t in tables
                          if t.row_count)
            if not pending and not any(w.is_running for w in app.workers):
                break
        await pilot.pause(0.2)
        app.save_screenshot(out.name, path=str(out.parent))


def main(argv: list[str]) -> None:
    from kehu_core import i18n
    from kehu_core.discovery import bundled_demo

    argv = list(argv)
    if "--lang" in argv:  # the app in that language (default: as kehu chooses it)
        at = argv.index("--lang")
        i18n.set_language(argv[at + 1])
        del argv[at:at + 2]
    folder = Path(argv[0] if argv else "docs")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "demo"
        shutil.copytree(bundled_demo(), copy, ignore=shutil.ignore_patterns(".kehu"))
        for name, keys in SHOTS:
            asyncio.run(_shoot(copy, folder / name, keys))
            print(folder / name)


if __name__ == "__main__":
    main(sys.argv[1:])
