"""When a failed delivery is tried again: exponential steps with jitter over ~72 hours.

Attempt 1 is immediate; after each failure the next waits the step below (+-20 %
jitter, so endpoints that failed together do not retry in lock-step). After the last
step fails the delivery is dead (the dead-letter list), about 71 hours after the event.
A ``Retry-After`` from the receiver replaces the step, bounded by the longest step.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

STEPS = (5, 30, 120, 600, 1800, 3600, 10800, 21600, 43200, 86400, 86400)  # seconds
MAX_ATTEMPTS = len(STEPS) + 1
JITTER = 0.2


def delay_after(failures: int, scale: float = 1.0, retry_after: float | None = None) -> float:
    """Seconds to wait after the ``failures``-th failed attempt (1-based)."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), float(STEPS[-1]))
    step = STEPS[min(failures, len(STEPS)) - 1] * scale
    return step * random.uniform(1 - JITTER, 1 + JITTER)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as delay-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)
