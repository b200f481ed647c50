"""Call detail records: Asterisk's per-leg Cdr events, summarised per call request."""
