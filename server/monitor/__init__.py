"""The /monitor page: static HTML, CSS and JavaScript over the GraphQL API (no build step)."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def routes() -> list[BaseRoute]:
    return [Mount("/monitor", app=StaticFiles(directory=STATIC, html=True), name="monitor")]
