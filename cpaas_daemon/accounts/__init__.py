"""API accounts: the tenant boundary. Every call, CDR, campaign belongs to one account."""
