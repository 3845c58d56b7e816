"""The YAML store: a folder (normally a git repo) of customer records.

One class, :class:`Store`, put together from modules that each hold one part:

- ``layout``: where things are (folders, file names) and atomic writes of records;
- ``customers``: reading customers' profiles; ``customer_rules``: what a write of one is refused
  for; ``customer_writes``: writing them; ``profile_text``: a profile's YAML text;
- ``interactions``: customers' purchases, visits, complaints ...;
- ``bulk``: many new customers whose files were made beforehand (a big import);
- ``ledgers``: plugins' append-only ledgers;
- ``batch``: many writes as one, the change journal (``kehu undo``);
- ``undo_on_error``: undoing a failed plugin's writes;
- ``locking``: its write lock, and the blocks in which no write is taken;
- ``core``: opening a store, its day, its index and plugins; :func:`open_store`.
"""

from __future__ import annotations

from ..paths import STATE_DIR
from .core import Store, open_store
from .layout import (
    CUSTOMER_FILE,
    CUSTOMERS_DIR,
    GITATTRIBUTES,
    GITIGNORE,
    INTERACTIONS_DIR,
    LEDGER_SUFFIX,
    atomic_write,
    interaction_id,
    remove_empty_folders,
)

__all__ = [
    "CUSTOMERS_DIR", "CUSTOMER_FILE", "GITATTRIBUTES", "GITIGNORE", "INTERACTIONS_DIR", "LEDGER_SUFFIX",
    "STATE_DIR", "Store", "atomic_write", "interaction_id", "open_store",
    "remove_empty_folders",
]
