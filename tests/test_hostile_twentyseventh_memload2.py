"""The twenty-seventh round's memload2 findings (issue 16): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.errors import KehuError
from kehu_core.store import open_store

from .conftest import kehu


def test_a_sale_written_with_its_id_asks_the_index_for_that_id_not_every_files_path(tmp_path: Path) -> None:
    """A record written with an id of its own (every sale an import writes, a plugin's) is
    checked against the other customers' records of that id: the index was asked for every
    file's path ending so (a pass over all the files), for each sale. An import of a 100 000-row
    sheet (25 000 customers) took 2 266 s (1 008 s of CPU; 10 000 rows: 18 s), most of it
    there. Now the id's own index answers, and a file of that id that could not be read is still
    found among the problems. The work SQLite does to write one sale (its progress steps),
    among 200 records and among 4 000: it grew with them, 20-fold; now hardly."""
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    for cid, name in (("zhangsan", "张三"), ("lisi", "李四")):
        assert kehu("customer", "add", "--name", name, "--id", cid, store=path).code == 0
    store = open_store(path)
    folder = store.interactions_dir("lisi")
    folder.mkdir(parents=True, exist_ok=True)
    note = {"kind": "note", "date": "2026-11-01", "text": "见过"}
    steps: dict[int, int] = {}
    made = 0
    for many in (200, 4000):
        for n in range(made, many):  # a colleague's script's notes
            (folder / f"2026-10-01-n{n:05d}.yaml").write_text("kind: note\ndate: 2026-10-01\ntext: x\n")
        made = many
        store.index.refresh()
        count = [0]

        def step(count: list[int] = count) -> int:
            count[0] += 1
            return 0

        store.index.db.set_progress_handler(step, 100)
        try:
            store.add_interaction("zhangsan", {**note, "id": f"2026-11-01-s{many}"})
        finally:
            store.index.db.set_progress_handler(None, 100)
        steps[many] = count[0]
    assert steps[4000] < 2 * steps[200] + 100, steps
    # a record of that id another customer holds, read or not, is still refused
    with pytest.raises(KehuError, match="2026-10-01-n00007 is a record of customer lisi already"):
        store.add_interaction("zhangsan", {**note, "id": "2026-10-01-n00007"})
    (folder / "2026-10-01-bad.yaml").write_text("kind: [\n")
    store.index.refresh()
    with pytest.raises(KehuError, match="2026-10-01-bad is a record of customer lisi already"):
        store.add_interaction("zhangsan", {**note, "id": "2026-10-01-bad"})
