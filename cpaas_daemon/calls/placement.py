"""How placing a call can fail: three siblings, because each calls for the opposite of
another and none may be caught for the other.

* :class:`Refused`: nothing rang and nothing will (Asterisk answered ``Error``, or the
  daemon refused a value before sending). Give up, or report it.
* :class:`NotSent`: no Originate went out (the PBX is not connected) and no ``calls`` row
  was written. Safe to try again later.
* :class:`Uncertain`: the Originate was written and the link was lost before the answer:
  it may be ringing. Never dial again; the call's CDR (or its absence) decides.

"Never dial twice" rests on the last one, so it is a type, not an ``except`` order.
Only the API layer maps them to HTTP statuses (``cpaas_daemon/api/errors.py``).
"""

from __future__ import annotations


class PlacementFailed(Exception):
    """Base of the three outcomes; catch a specific one (each needs its own handling)."""

    def __init__(self, message: str, request_id: str) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id


class Refused(PlacementFailed):
    """Nothing rang: Asterisk refused the Originate, or a value was refused before it."""


class NotSent(PlacementFailed):
    """No Originate went out and no ``calls`` row exists: the PBX is not connected."""


class Uncertain(PlacementFailed):
    """Sent, then the link was lost: it may ring. Wait for the CDR; never re-send."""
