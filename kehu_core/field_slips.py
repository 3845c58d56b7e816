"""Field names a setting of kehu.yaml gives that look like a slip of the keyboard: held by no
profile, plain or encrypted, no field kehu (or a plugin) knows, and close to one that is
(`phnoes`, `Phones`: meant phones). A field of the shop's own that no customer has yet
(`id_card`) is no slip. One rule for every setting naming fields (``confidential: fields:``,
``reps: card_fields:``), which `kehu check` lists as warnings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .errors import Problem
    from .store import Store


def meant_fields(store: Store, names: Iterable[str]) -> dict[str, str]:
    """Each of ``names`` that looks like a slip, and the field it likely meant."""
    from difflib import get_close_matches

    model = set(store.customer_model.model_fields)
    wanted = [name for name in names if name not in model]
    if not wanted:
        return {}
    held = store.index.field_names()  # encrypted ones too: `id_card` held only so is no slip
    known = {name.casefold(): name for name in sorted(model | held) if name not in wanted}
    out = {}
    for name in wanted:
        meant = get_close_matches(name.casefold(), known, n=1, cutoff=0.7) if name not in held else []
        if meant:
            out[name] = known[meant[0]]
    return out


def slip_problem(store: Store, keys: list[str | int], message: str) -> Problem:
    """``message`` at the line of kehu.yaml where ``keys`` (``["reps", "card_fields", 2]``) is
    written, or at line 1 when kehu.yaml cannot be read meanwhile (its own problem, said apart)."""
    from .errors import Problem
    from .yamlio import line_of, load_roundtrip

    path = store.root / "kehu.yaml"
    try:
        line = line_of(load_roundtrip(path), keys)
    except Exception:  # noqa: BLE001 - unreadable meanwhile: kehu.yaml's own problem
        line = 1
    return Problem(path, line, message)
