"""Trackstone: fast, durable experiment tracking that speaks the MLflow REST API."""

__version__ = "0.1.0"
