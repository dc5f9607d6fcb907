"""``ExactPathRouter`` answers every request with the route Starlette's ordered scan picks."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router

from support.asgi_client import TestClient
from trackstone.server.routing import ExactPathRouter


def _named(name: str) -> Route:
    async def endpoint(request: Request) -> Response:
        params = ",".join(f"{k}={v}" for k, v in sorted(request.path_params.items()))
        return PlainTextResponse(f"{name} {params}".strip())

    return endpoint  # type: ignore[return-value]


def _routes() -> list[BaseRoute]:
    inner = Router([Route("/file.txt", _named("mounted"), methods=["GET"])])
    return [
        Route("/items/{item_id:int}", _named("item-by-id"), methods=["GET"]),
        Route("/items/special", _named("special-shadowed"), methods=["GET"]),
        Route("/items/special", _named("special-post"), methods=["POST"]),
        Route("/items", _named("items"), methods=["GET", "POST"]),
        Route("/items", _named("items-put-later"), methods=["PUT"]),
        Route("/files/{path:path}", _named("file"), methods=["GET", "PUT"]),
        Route("/files/readme", _named("readme-shadowed"), methods=["GET"]),
        Route("/a/{name}/b", _named("middle-param"), methods=["GET"]),
        Mount("/static", app=inner),
        Route("/slash/", _named("slash"), methods=["GET"]),
    ]


@pytest.fixture(params=["scan", "exact"])
def client(request: pytest.FixtureRequest) -> TestClient:
    router_type = Router if request.param == "scan" else ExactPathRouter
    return TestClient(router_type(_routes()))


# Each row is answered the same by Starlette's Router ("scan") and ours ("exact").
@pytest.mark.parametrize(
    ("method", "path", "status", "text"),
    [
        ("GET", "/items/7", 200, "item-by-id item_id=7"),
        ("GET", "/items/special", 200, "special-shadowed"),
        ("POST", "/items/special", 200, "special-post"),
        ("GET", "/items", 200, "items"),
        ("POST", "/items", 200, "items"),
        ("PUT", "/items", 200, "items-put-later"),
        ("DELETE", "/items", 405, None),
        ("GET", "/files/readme", 200, "file path=readme"),
        ("PUT", "/files/a/b.txt", 200, "file path=a/b.txt"),
        ("DELETE", "/files/a/b.txt", 405, None),
        ("GET", "/a/x/b", 200, "middle-param name=x"),
        ("GET", "/static/file.txt", 200, "mounted"),
        ("GET", "/static/other.txt", 404, None),
        ("GET", "/nothing/here", 404, None),
        ("GET", "/slash", 200, "slash"),  # Starlette's redirect to the trailing slash
    ],
)
def test_same_answer_as_starlette(
    client: TestClient, method: str, path: str, status: int, text: str | None
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    if text is not None:
        assert response.text == text


def test_routes_added_later_are_dispatched() -> None:
    router = ExactPathRouter(_routes())
    client = TestClient(router)
    assert client.get("/late").status_code == 404
    router.routes.append(Route("/late", _named("late"), methods=["GET"]))
    assert client.get("/late").text == "late"
