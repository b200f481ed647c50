"""The only way a client's number becomes part of an AMI action.

A phone number is digits with an optional leading ``+`` (6-15 digits); an extension for a
transfer is 2-5 digits. Anything else -- ``&``, ``/``, ``,``, ``|``, spaces, newlines,
letters -- is refused before it can reach Asterisk, where it would be a second channel
(``123&PJSIP/999``), an option separator or a header injection.
"""

from __future__ import annotations

import re
import secrets

import phonenumbers

from cpaas_daemon.errors import ValidationFailed

_NUMBER = re.compile(r"^\+?[0-9]{6,15}$")
_EXTENSION = re.compile(r"^[0-9]{2,5}$")
_CHANNEL = re.compile(r"^[A-Za-z0-9]+/[A-Za-z0-9_.@+=:-]+(;[12])?$")
_REQUEST_ID = re.compile(r"^[0-9a-f]{10}$")


def new_request_id() -> str:
    """10 lowercase hex characters, as the seed's ``"request_id": "57362de4f0"``."""
    return secrets.token_hex(5)


def phone_number(value: object, field: str) -> str:
    """Validate a phone number; international ones (``+``) must be possible numbers."""
    if not isinstance(value, str) or not _NUMBER.match(value):
        raise ValidationFailed(f"{field} must be 6-15 digits with an optional leading +")
    if value.startswith("+"):
        try:
            parsed = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_possible_number(parsed):
            raise ValidationFailed(f"{field} is not a possible international number")
    return value


def is_extension(value: str) -> bool:
    return bool(_EXTENSION.match(value))


def number_or_extension(value: object, field: str) -> str:
    """A transfer target: an extension (``102``, 2-5 digits) or a phone number."""
    if isinstance(value, str) and is_extension(value):
        return value
    return phone_number(value, field)


def channel_name(value: object, field: str = "channel") -> str:
    """A live channel name as Asterisk prints it (``PJSIP/101-0000023c``, ``Local/x@y-1;2``)."""
    if not isinstance(value, str) or not _CHANNEL.match(value.strip()):
        raise ValidationFailed(f"{field} is not a valid channel name")
    return value.strip()


def request_id(value: object, field: str = "request_id") -> str:
    if not isinstance(value, str) or not _REQUEST_ID.match(value.strip()):
        raise ValidationFailed(f"{field} must be 10 hexadecimal characters")
    return value.strip()


def dial_string(template: str, number: str) -> str:
    """Fill the configured template (``PJSIP/{number}@trunk``) with a validated number."""
    return template.replace("{number}", number)
