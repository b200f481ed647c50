"""Failures of the statistics services, each with its own ``error_id``.

The v2 dialect (``api/v2_base.py``) turns an ``error_id`` into the vendor's numeric code,
so these classes say what went wrong, not how a particular API spells it.
"""

from __future__ import annotations

from cpaas_daemon.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed


class InvalidParameter(ValidationFailed):
    """A value of the right type that we cannot use (unknown Field, bad date, ...)."""

    error_id = "invalid_parameter"


class InvalidType(ValidationFailed):
    """A value of the wrong JSON type (``Field`` not an array, a number for a string)."""

    error_id = "invalid_type"


class UserIdMissing(ValidationFailed):
    error_id = "user_id_missing"


class TokenMissing(Unauthorized):
    error_id = "token_missing"


class InvalidToken(Unauthorized):
    """Unknown userId or wrong token: the two are not told apart, so ids cannot be probed."""

    error_id = "invalid_token"


class AccountSuspended(Forbidden):
    """Only said to a caller who proved the token, so it leaks nothing."""

    error_id = "account_suspended"


class PermissionDenied(Forbidden):
    error_id = "permission_denied"


class AgentNotFound(NotFound):
    error_id = "agent_not_found"


class AgentNotLoggedIn(Conflict):
    error_id = "agent_not_logged_in"
