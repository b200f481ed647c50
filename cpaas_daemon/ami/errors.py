"""What can go wrong with one AMI action, as two unrelated exceptions.

They are siblings on purpose: "Asterisk said no" (nothing happened) and "no answer came"
(it may have happened) lead to opposite decisions for an Originate, so no ``except``
clause may catch one while meaning the other. Neither is an API error: the API layer
maps them to HTTP statuses (``cpaas_daemon/api/errors.py``).
"""

from __future__ import annotations


class AmiRefused(Exception):
    """Asterisk answered ``Response: Error``: the action did nothing. ``message`` is its
    text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AmiUnavailable(Exception):
    """No answer: not logged in, the link dropped before the answer, or it timed out.

    ``sent`` says whether the action was written to the link (then it may have run).
    """

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.sent = sent
