"""Phone numbers and email addresses: the one rule for each, whatever the door (a profile's
fields, an import's cells, ``kehu check``). The libraries that parse them are imported on first use."""

from __future__ import annotations

import functools
from typing import Any

from ..i18n import N_, _


def _why_not_possible(why: object) -> str:
    import phonenumbers

    possible = phonenumbers.ValidationResult
    return {
        possible.TOO_SHORT: _("is too short"),
        possible.TOO_LONG: _("is too long"),
        possible.INVALID_LENGTH: _("has the wrong number of digits"),
        possible.INVALID_COUNTRY_CODE: _("has an unknown country code"),
        possible.IS_POSSIBLE_LOCAL_ONLY: _("is a local number without its area code"),
    }.get(why, _("is not a possible number"))  # type: ignore[call-overload]


def region_problem(region: str) -> str | None:
    """Why kehu.yaml's ``region:`` cannot read a national number (None: it can). ``ZZZ`` or
    ``china`` passed every command, then every phone written without +country was refused as
    "no country has that code", the file at fault named nowhere."""
    import phonenumbers

    if region in phonenumbers.SUPPORTED_REGIONS:
        return None
    return _("region: {region!r} is no country phone numbers know; write its two-letter code, "
             "such as CN, HK, TW or SG").format(region=region)


def normalise_phone(raw: str, region: str = "CN") -> str:
    """Return ``raw`` as E.164 (``+8613912345678``) or raise ValueError saying why not.

    The one phone rule, for every door (``customer add``/``set``, imports, the TUI's form,
    a hand-edited file found by ``kehu check``): a number the phone library can parse, of a
    possible length, and valid for its country (``12345`` is refused as too short, where it
    used to be stored as ``+8612345``). National numbers are read in ``region`` (kehu.yaml's
    ``region:``); ``00`` and ``+`` start an international one."""
    return _e164(str(raw), region)


@functools.lru_cache(maxsize=1 << 16)
def _e164(raw: str, region: str) -> str:
    """:func:`normalise_phone`, remembered: an import validates a row, then the merged customer,
    and the number given and its E.164 form each cost a parse (~0.2 ms) only once. A number
    that raises is not remembered (its message is in the language of the moment)."""
    import phonenumbers  # on first use: a command that validates no number never pays for it

    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+") and (wrong := region_problem(region)) is not None:
        raise ValueError(f"kehu.yaml: {wrong}")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_("not a phone number: {raw} ({why})").format(
            raw=repr(raw), why=_parse_failure(exc))) from None
    where = phonenumbers.region_code_for_country_code(number.country_code)
    where = region if where in (None, "ZZ") else where
    why = phonenumbers.is_possible_number_with_reason(number)
    if why != phonenumbers.ValidationResult.IS_POSSIBLE:
        reason = _why_not_possible(why)
        raise ValueError(_("not a phone number: {raw} {reason} for region {region}").format(
            raw=repr(raw), reason=reason, region=where))
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_("not a phone number: {raw} is not a valid number for region {region}").format(
            raw=repr(raw), region=where))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


#: why phonenumbers could not read a number (its NumberParseException.error_type), as a person reads it
_PARSE_FAILURES = {0: N_("no country has that code"), 1: N_("it is not a number"),
                   2: N_("too short after the international prefix"), 3: N_("too short"), 4: N_("too long")}


def _parse_failure(exc: Any) -> str:
    said = _PARSE_FAILURES.get(getattr(exc, "error_type", None))  # phonenumbers' own words are English
    return _(said) if said else str(exc)


def normalise_email(raw: str) -> str:
    return _normal_email(str(raw))


@functools.lru_cache(maxsize=1 << 16)
def _normal_email(raw: str) -> str:
    from email_validator import EmailNotValidError, validate_email  # on first use (~25 ms to import)

    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(_("not an email address: {raw} ({why})").format(
            raw=repr(raw), why=_email_failure(exc))) from None


#: what email_validator's English says, in kehu's words (translated): a part of its message → ours
_EMAIL_FAILURES = (
    ("must have an @-sign", N_("it has no @")),
    ("something before the @-sign", N_("there is nothing before the @")),
    ("something after the @-sign", N_("there is nothing after the @")),
    ("characters before the @-sign", N_("the part before the @ holds characters an address cannot have")),
    ("characters after the @-sign", N_("the part after the @ holds characters an address cannot have")),
    ("after the @-sign is not valid", N_("the part after the @ is not a domain like qq.com")),
    ("period", N_("a full stop is out of place: at either end of a part, or two in a row")),
    ("too long", N_("it is too long")),
)


def _email_failure(exc: Exception) -> str:
    """Why an address is refused, in the user's language (a reason not listed: the library's)."""
    said = next((ours for theirs, ours in _EMAIL_FAILURES if theirs in str(exc)), None)
    return _(said) if said else str(exc)
