"""Asterisk Manager Interface: one logged-in connection, its events fanned out on a bus."""
