"""The web UI: server-rendered page shells (Jinja2), our ES modules and CSS, and its JSON helpers.

``routes.ui_routes()`` is what the app mounts: the pages, ``/static`` and the UI's own JSON
endpoints under ``/api/2.0/trackstone/ui/``. The pages call the REST API through the
``/ajax-api/2.0/...`` aliases; third-party browser files (uPlot) are copied into
``static/vendor/`` by ``make setup`` and never committed.
"""

__all__: list[str] = []
