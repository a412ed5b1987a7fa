"""The read API's app factory: routers, the read-only database pool, and error mapping.

Run it with ``python -m read_api``, ``uvicorn read_api.app:create_app --factory`` or
``uvicorn read_api.app:app`` (the app with ``get_settings()``, built on first access).
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from carbon_stream.settings import Settings, get_settings
from read_api.db import DatabaseUnavailable, ReadDatabase
from read_api.routers import emission_summary, health, org_emissions

__all__ = ["create_app", "app"]

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5

DESCRIPTION = """
Read-only access to the emission rollups computed by the Flink job `emissions_rollup`.

* **Units**: every mass is kg CO2e (`co2e_kg_*`), an exact decimal serialised as a JSON string
  with 6 decimals (e.g. `"12.500000"`); timestamps are RFC 3339, returned in UTC.
* **Time ranges** are half-open `[from, to)` on `window_start`; `from`/`to` need an offset (`Z` or `+01:00`).
* **Lists** share one envelope `{items, page, per_page, total, sort}`; `sort=-field,other` with
  whitelisted fields; the order always ends with the primary key, so pages are stable.
* **Errors**: invalid parameters answer 422 naming the parameter (`detail[].loc`) and the reason
  (`detail[].msg`); an unavailable database answers 503 with `Retry-After`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = ReadDatabase.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        database.close()

    app = FastAPI(title="Carbon Stream read API", version="1.0.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.database = database
    app.add_exception_handler(DatabaseUnavailable, _database_unavailable)
    for module in (org_emissions, emission_summary, health):
        app.include_router(module.router)
    return app


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("503 for %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {"detail": f"database unavailable: {exc}"}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)}
    )


@lru_cache(maxsize=1)
def _default_app() -> FastAPI:
    return create_app()


def __getattr__(name: str) -> FastAPI:
    """``read_api.app:app`` for uvicorn without ``--factory``; importing this module builds nothing."""
    if name == "app":
        return _default_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
