"""Offline transcription of recorded calls (seed 003 ``transcript: "on"``)."""
