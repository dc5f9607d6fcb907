"""The filter and order-by language of run, experiment and model searches (no SQL, no I/O)."""
