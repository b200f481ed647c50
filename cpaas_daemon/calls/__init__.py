"""Calls: originate, track and control live calls for an account."""
