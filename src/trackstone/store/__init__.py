"""Backend stores: the TrackingStore protocol and its SQL implementation."""
