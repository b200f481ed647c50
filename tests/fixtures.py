"""Access to the real Asterisk traces in tests/traces (ground truth, copied from
../shared/fixtures/asterisk so a clone stands alone)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

ASTERISK = Path(__file__).resolve().parent / "traces"

CDR_COLUMNS = (
    "AccountCode", "Source", "Destination", "DestinationContext", "CallerID", "Channel",
    "DestinationChannel", "LastApplication", "LastData", "StartTime", "AnswerTime", "EndTime",
    "Duration", "BillableSeconds", "Disposition", "AMAFlags", "UniqueID", "UserField",
)  # fmt: skip


def cdr_rows(scenario: str) -> list[dict[str, str]]:
    """A scenario's Master.csv lines as Cdr-event-shaped dicts."""
    with (ASTERISK / f"{scenario}.cdr.csv").open(newline="") as handle:
        return [dict(zip(CDR_COLUMNS, row, strict=True)) for row in csv.reader(handle)]


def ami_frames(scenario: str) -> list[dict[str, object]]:
    with (ASTERISK / f"{scenario}.ami.jsonl").open() as handle:
        return [json.loads(line) for line in handle]
