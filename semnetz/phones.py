"""Phone numbers and e-mail addresses as people write them, made comparable.

A phone number is stored in the international format ("0171 1234567", "+49 171 1234567", "0049 (171)
123 45 67" are all "+49 171 1234567"; numbers without a country code are read as German). What the
phonenumbers library cannot read as a valid number is kept as written. Two numbers are the same when their
keys are (E.164 where the number can be read at all, else its digits).

phonenumbers is imported on first use, not with semnetz: `semnetz --help` stays fast.
"""

from __future__ import annotations

DEFAULT_REGION = "DE"
_MAX_CHARS = 250  # phonenumbers reads no more than this


def _parsed(value: str, region: str):
    import phonenumbers

    try:
        return phonenumbers.parse(value, region)
    except Exception:  # NumberParseException, or anything odd in a hostile string
        return None


def normalise_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """The number in the international format when it is a valid number, else as written (stripped).
    Idempotent: a normalised number normalises to itself."""
    value = value.strip()
    if not value or len(value) > _MAX_CHARS or not any(c.isdigit() for c in value):
        return value
    number = _parsed(value[4:] if value[:4].lower() == "tel:" else value, region)
    if number is None:
        return value
    import phonenumbers

    if not phonenumbers.is_valid_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_key(value: str | None, region: str = DEFAULT_REGION) -> str | None:
    """What two numbers must share to be one: E.164 ("+491711234567") when the number can be read (valid or
    not), else its digits; None for a value without digits."""
    if not value:
        return None
    value = value.strip()
    if value[:4].lower() == "tel:":
        value = value[4:]
    digits = "".join(c for c in value if c.isdigit())
    if not digits:
        return None
    number = _parsed(value, region) if len(value) <= _MAX_CHARS else None
    if number is not None:
        import phonenumbers

        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return ("+" if value.startswith("+") else "") + digits


def phone_forms(value: str | None, region: str = DEFAULT_REGION) -> list[str]:
    """The ways people write a number ("+49 171 1234567", "+491711234567", "0171 1234567", "01711234567"), so that
    what quotes it in free text is found whichever form was stored."""
    if not value or len(value) > _MAX_CHARS:
        return []
    number = _parsed(value[4:] if value[:4].lower() == "tel:" else value, region)
    if number is None:
        return []
    import phonenumbers

    if not phonenumbers.is_possible_number(number):
        return []
    formats = phonenumbers.PhoneNumberFormat
    national = phonenumbers.format_number(number, formats.NATIONAL)
    forms = [phonenumbers.format_number(number, f) for f in (formats.INTERNATIONAL, formats.E164)]
    forms += [national, "".join(c for c in national if c.isdigit() or c == "+")]
    return list(dict.fromkeys(forms))


def email_key(value: str | None) -> str | None:
    """An e-mail address compared without case and surrounding space ("mailto:" dropped); None if empty."""
    if not value:
        return None
    value = value.strip()
    if value[:7].lower() == "mailto:":
        value = value[7:]
    return value.lower() or None  # as the store compares them (lower)
