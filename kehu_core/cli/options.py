"""Option types shared by commands that must stay light to import (``kehu search``,
``kehu customer list``): click only, no models."""

from __future__ import annotations

import click

#: how many to show (--limit, --customers, --items, --show): never negative (a slice [:-1]
#: dropped the last row silently, SQL LIMIT -1 is no limit), never more than an index can count
COUNT = click.IntRange(min=0, max=1_000_000_000)
