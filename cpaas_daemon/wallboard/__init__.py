"""The live wallboard: one picture of the call centre, pushed to operators' screens."""
