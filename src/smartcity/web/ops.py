"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from smartcity import __version__
from smartcity.core.auth import PUBLIC
from smartcity.core.http import RequestContext, unauthenticated
from smartcity.core.migrate import pending

Open = Annotated[RequestContext, Depends(unauthenticated(PUBLIC))]


def build_router() -> APIRouter:
    """/healthz, /readyz and /metrics."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    def healthz(ctx: Open) -> dict[str, Any]:
        # Modules report degraded modes here (search ranking lexically without its model).
        reports = ctx.platform.services.get("health", {})
        return {
            "status": "ok",
            "version": __version__,
            **{name: report() for name, report in sorted(reports.items())},
        }

    @router.get("/readyz", summary="The database answers and its schema is current")
    def readyz(ctx: Open) -> Response:
        platform = ctx.platform
        try:
            with platform.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            missing = pending(platform.db.engine, platform.modules)
        except Exception as exc:  # any failure means "not ready", reported below
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable", "detail": type(exc).__name__},
                status_code=503,
            )
        if missing:
            return JSONResponse(
                {
                    "status": "unavailable",
                    "database": "needs migration",
                    "pending": sorted(missing),
                },
                status_code=503,
            )
        return JSONResponse({"status": "ok", "database": platform.db.dialect})

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def metrics(ctx: Open) -> Response:
        registry = ctx.platform.services["metrics"].registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
