"""HTTP edge: thin handlers per vendor dialect (validate, one service call, serialise)."""
