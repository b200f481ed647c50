"""Scheduled callbacks: a two-party call placed once at a client-chosen wall-clock time."""
