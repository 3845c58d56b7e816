"""The profile card of the detail screen: every field that is set, unknown ones included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from kehu_core.confidential import LOCK

from ... import formatting

if TYPE_CHECKING:
    from kehu_core.models import Customer

LABELS = {
    "id": "ID", "name": "姓名 Name", "phones": "电话 Phone", "emails": "Email",
    "addresses": "地址 Address", "organization": "单位 Company", "title": "职务 Title",
    "nickname": "昵称 Nickname", "birthday": "生日 Birthday", "lunar_birthday": "农历生日 Lunar",
    "level": "会员 Level", "owner": "负责 Owner", "referrer": "介绍人 Referrer",
    "tags": "标签 Tags", "credit": "信用 Credit", "interests": "爱好 Interests",
    "family": "家庭 Family", "personality": "性格 Personality", "notes": "备注 Notes",
    "do_not_contact": "勿扰 Do not contact", "created": "建档 Created",
}


class ProfileCard(Static):
    """Field / value pairs; fields kehu does not know are shown after the rest, as they are."""

    def show(self, customer: Customer, referrer_name: str | None = None, *, region: str,
             locked: Sequence[str] = ()) -> None:
        """``locked``: encrypted fields the user's key cannot open, shown as a lock mark."""
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        data: dict[str, Any] = customer.model_dump(mode="python")
        for key, value in data.items():
            if key in locked:
                grid.add_row(LABELS.get(key, key), Text(f"{LOCK} encrypted", style="dim"))
                continue
            if value in (None, [], "", False):
                continue
            if key == "phones":
                shown = ", ".join(formatting.phone(p, region) for p in value)
            elif key == "referrer" and referrer_name:
                shown = f"{referrer_name} ({value})"
            else:
                shown = formatting.text(value)
            grid.add_row(LABELS.get(key, key), Text(shown))
        self.update(grid)
