"""Option types shared by commands that must stay light to import (``kehu search``,
``kehu customer list``): click only, no models."""

from __future__ import annotations

import click

from .localize import _TranslatedName


class _Count(click.IntRange):
    """A whole number of things to show; "'x' is not a valid integer." as for any int option
    (in the user's language, as localize gives click's type names), not "integer range"."""

    name = _TranslatedName("integer")  # type: ignore[assignment]


#: how many to show (--limit, --customers, --items, --show): never negative (a slice [:-1]
#: dropped the last row silently, SQL LIMIT -1 is no limit), never more than an index can count
COUNT = _Count(min=0, max=1_000_000_000)
