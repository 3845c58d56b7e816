"""Money as kehu keeps it: exact decimals of yuan, to the fen (分). Light on purpose: the
models, the reports and the answers read from the index alone all use it."""

from decimal import Decimal

CENT = Decimal("0.01")
