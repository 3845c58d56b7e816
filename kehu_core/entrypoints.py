"""Where plugins are advertised: the entry-point group, and the names in it.

Light on purpose: a command that answers from the index (``kehu customer list --tier``) checks
that the installed plugins are the ones its kept values were computed by, without loading any.
"""

from __future__ import annotations

ENTRY_POINT_GROUP = "kehu"


def advertised() -> list[str]:
    """The names advertised in the group, sorted (a plugin that fails to load included)."""
    from importlib.metadata import entry_points

    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})
