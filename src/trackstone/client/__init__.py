"""The Python client: TrackstoneClient, the fluent API, and the durable logging spool."""
