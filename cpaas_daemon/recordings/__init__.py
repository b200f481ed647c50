"""Call recordings: account-scoped download (``GET /api/recording/{request_id}``) and the
retention sweep (``dial.recordings_retention_days``). See docs/api-cpaas.md."""
