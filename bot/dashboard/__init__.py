"""The care-team dashboard at /care: accounts, sessions, plan queries, handoffs, printing."""
