"""Python's cyclic garbage collector, held off while kehu makes many objects that live on.

The collector runs whenever enough new objects have been made, and a full collection goes
through every object alive. A pass that makes hundreds of thousands of them (an import's
contacts, an address book's customers, values and cards) has it go through all of them
again and again as more come, for nothing: such a pass makes no cycles worth collecting
(reference counting frees what it drops). ``kehu_core.cli.hold_collector`` does the same
for a command's start-up.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block; back on after it, if it was on (a
    block inside another, or in another thread meanwhile, leaves it to the outer one)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
