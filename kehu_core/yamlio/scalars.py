"""What a plain scalar is (``true``, ``15``, ``1.5``, or text), one rule for every loader.

kehu reads YAML 1.2's core schema: ``yes``/``no``/``on``/``off`` are text (YAML 1.1 made them
booleans), and so are ``1_000`` and ``0b101``, which ruamel reads as numbers. The scan (PyYAML,
:class:`~kehu_core.yamlio.reading.FastLoader`) and the round-trip editor (ruamel.yaml) each had
their own table: ruamel read ``1_000.5`` as the number 1000.5 where the scan read the text
``1_000.5``, so an edit of another field rewrote it as ``01000.5``, a number. Both now take this
table (a ``%YAML 1.1`` directive is refused before either reads a file).
"""

from __future__ import annotations

import re

BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"

#: (tag, pattern, the first characters it can start with), in the order they are tried
PLAIN_NUMBERS_AND_BOOLS: list[tuple[str, re.Pattern[str], list[str]]] = [
    (BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")),
    (INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")),
    (FLOAT, re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+.0123456789")),
]


def ruamel_resolver() -> type:
    """ruamel's resolver with this table for booleans and numbers (its own YAML 1.2 rules for
    null, dates and ``<<``, which match PyYAML's)."""
    from ruamel.yaml.resolver import VersionedResolver, implicit_resolvers

    class KehuResolver(VersionedResolver):  # type: ignore[misc]
        @property
        def versioned_resolver(self) -> dict[str | None, list[tuple[str, re.Pattern[str]]]]:
            table = self._version_implicit_resolver
            if "kehu" not in table:
                for tag, pattern, first in PLAIN_NUMBERS_AND_BOOLS:
                    self.add_version_implicit_resolver("kehu", tag, pattern, first)
                for versions, tag, pattern, first in implicit_resolvers:
                    if (1, 2) in versions and tag not in (BOOL, INT, FLOAT):
                        self.add_version_implicit_resolver("kehu", tag, pattern, first)
            return table["kehu"]

    return KehuResolver
