"""The twenty-sixth round's own findings (issue 16): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import kehu
from .test_team_merge import ok


@pytest.mark.parametrize(("written", "said"), [
    ("vip: !!bool 金卡", "既不是 true 也不是 false：'金卡'"),
    ("visits: !!int 三次", "不是整数：'三次'"),
    ("hobby: !!omap []", "omap：kehu 不读有序映射或键值对列表"),
])
def test_a_value_tagged_as_what_it_is_not_is_refused_in_the_users_language(
        tmp_path: Path, written: str, said: str) -> None:
    """A value tagged by hand as what it is not (`vip: !!bool 金卡`, `!!int 三次`, `!!omap []`):
    every door refuses it at its line (the twenty-sixth round), but kehu's own words for it were
    English to a user working in Chinese, in the middle of a Chinese message."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    cid = ok("customer", "add", "--name", "甲", store=store).strip()
    profile = next(store.glob(f"customers/*/{cid}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + written + "\n", encoding="utf-8")
    result = kehu("--lang", "zh_CN", "check", store=store)
    assert result.code == 1
    assert said in result.out + result.err, result
