"""The registry pages' server side: shells with the UI's CSP, escaped names, HTML 404s."""

from __future__ import annotations

import pytest

from support.asgi_client import TestClient
from trackstone.store.sql.store import SqlStore

# A name that would run script if a template ever stopped escaping ("/" is not allowed).
_NAME = "<img src=x onerror=alert('m')> model"
_ESCAPED = "&lt;img src=x onerror=alert(&#39;m&#39;)&gt; model"


@pytest.fixture
def registered(store: SqlStore) -> str:
    """Register a model whose name is HTML, with one version."""
    store.registry.create_registered_model(_NAME)
    store.registry.create_model_version(_NAME, "file:///elsewhere/model")
    return _NAME


@pytest.mark.parametrize(
    ("path", "markers"),
    [
        ("/models", ['src="/static/js/models.js', 'id="model-search"']),
        (
            "/models/{name}",
            ['src="/static/js/model.js', f'<h1 id="model-name">{_ESCAPED}</h1>'],
        ),
        (
            "/models/{name}/versions/1",
            [
                'src="/static/js/model_version.js',
                'data-version="1"',
                f'data-model-name="{_ESCAPED}"',
            ],
        ),
    ],
)
def test_registry_pages_are_shells_with_the_csp_and_escaped_names(
    client: TestClient, registered: str, path: str, markers: list[str]
) -> None:
    response = client.get(path.format(name=registered))
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    for marker in markers:
        assert marker in response.text
    assert "<img src=x" not in response.text
    assert "<script>" not in response.text and "style=" not in response.text


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("/models/no-such-model", "registered model &#39;no-such-model&#39;"),
        ("/models/{name}/versions/7", "version &#39;7&#39; of registered model"),
        ("/models/{name}/versions/latest", "version &#39;latest&#39; of registered model"),
        ("/models/no-such-model/versions/1", "version &#39;1&#39; of registered model"),
    ],
)
def test_unknown_models_and_versions_get_an_html_404(
    client: TestClient, registered: str, path: str, what: str
) -> None:
    response = client.get(path.format(name=registered))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert f"There is no {what}" in response.text
