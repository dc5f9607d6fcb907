"""The tracking server: an ASGI app (``app.create_app``) serving MLflow's REST API securely."""
