"""Production monitoring: rules that compare a model version's production metrics with its baseline.

Pure computation (no I/O): the client, the CLI and the server feed it a ``Baseline`` and the
observed ``ProductionMetric`` points, and get a ``BaselineReport`` back.
"""
