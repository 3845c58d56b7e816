"""Phone numbers as people read them. The store keeps E.164 (``+8613912345678``, see
``kehu_core.models.normalise_phone``) and JSON gives that; the CLI's text output and the TUI
show the number in the store region's national format (``139 1234 5678``) and any other
country's number in international format (``+1 650-253-0000``), through :func:`display_phone`.
"""

from __future__ import annotations

import functools
import re

_CN_MOBILE = re.compile(r"^\+86(1\d{2})(\d{4})(\d{4})$")


def display_phone(value: str | None, region: str) -> str:
    """``+8613912345678`` → ``139 1234 5678`` in a CN store, ``+86 139 1234 5678`` elsewhere;
    text that is not a number is shown as it is."""
    if not value:
        return ""
    # Most numbers of a CN store are mobiles: formatted directly (phonenumbers is ~0.1 ms a call,
    # and the customer list formats a page of them at a time); the same text as phonenumbers.
    if region == "CN" and (match := _CN_MOBILE.match(value)):
        return " ".join(match.groups())
    return _formatted(value, region)


@functools.lru_cache(maxsize=4096)
def _formatted(value: str, region: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return value
    home = number.country_code == phonenumbers.country_code_for_region(region)
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)
