"""create_app(settings): the only place where modules are wired into the platform."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import Match
from starlette.types import Scope

from smartcity import __version__
from smartcity.core.audit.api import build_router as transparency_router
from smartcity.core.audit.log import TransparencyLog, catch_up
from smartcity.core.city import use_city
from smartcity.core.db import Database
from smartcity.core.headers import SecurityHeaders
from smartcity.core.http import (
    METRIC_COLLECTORS,
    EdgeMiddleware,
    Metrics,
    install_error_handlers,
)
from smartcity.core.i18n import SHELL_DOMAIN, Catalogues
from smartcity.core.jobs.catalogue import JobCatalogue
from smartcity.core.keys import KeyRing
from smartcity.core.pages import PageRenderer
from smartcity.core.platform import Platform
from smartcity.core.registry import catalogue_dir, load_manifests
from smartcity.core.settings import Settings
from smartcity.core.time import use_city_zone
from smartcity.web import jobs, ops, portal

WEB = Path(__file__).parent / "web"
API = "/api/v1"
"""Where every module's API lives, under its own name."""


def build_platform(settings: Settings, keys: KeyRing | None = None) -> Platform:
    """The platform without the web app (for the CLI, workers and tests)."""
    modules = load_manifests(settings.modules)
    city = settings.city_profile
    use_city(city)
    use_city_zone(city.zone)
    platform = Platform(
        settings=settings,
        db=Database(settings.resolved_database_url),
        keys=keys or KeyRing.load(settings.keys_dir),
        log=None,  # type: ignore[arg-type]  # set just below, once the keys are known
        jobs=JobCatalogue.from_manifests(modules),
        modules=modules,
    )
    platform.log = TransparencyLog(platform.keys, settings.checkpoint_origin)
    template_dirs = [WEB / "templates"] + [m.templates for m in modules if m.templates]
    locale_dirs = {SHELL_DOMAIN: WEB / "locales"} | {
        m.name: folder for m in modules if (folder := catalogue_dir(m)) is not None
    }
    platform.services["pages"] = PageRenderer(template_dirs, Catalogues(locale_dirs))
    for module in modules:
        if module.settings is not None:
            platform.module_settings[module.name] = module.settings()
    for module in modules:
        if module.on_startup:
            module.on_startup(platform)
    return platform


def create_app(settings: Settings | None = None, *, platform: Platform | None = None) -> FastAPI:
    """A fresh web app; tests may build as many as they like."""
    settings = settings or (platform.settings if platform else Settings())
    platform = platform or build_platform(settings)
    app = FastAPI(
        title="smartcity",
        version=__version__,
        summary="城市即平台 The city government as a platform",
        description="One login, one payment platform, one sensor hub and one living lab for a "
        "city. Errors are RFC 9457 problem+json documents with a stable `code`.",
        openapi_url="/openapi.json",
        docs_url=None,  # the portal serves /docs without inline script (web/portal.py)
        redoc_url=None,
        # Starlette's trailing-slash redirect names the request's Host; links use base_url.
        redirect_slashes=False,
    )
    app.state.platform = platform
    metrics = Metrics(platform.services.get(METRIC_COLLECTORS, ()))
    platform.services["metrics"] = metrics
    install_error_handlers(app)
    app.add_middleware(
        EdgeMiddleware,
        max_body=settings.max_body_bytes,
        metrics=metrics,
        log_requests=settings.log_requests,
        security=SecurityHeaders(https=settings.secure_cookies),
        trusted_hosts=settings.trusted_hosts,
    )
    # Swagger UI's files come from a pinned package, so /docs works without the internet.
    app.mount(
        "/static",
        StaticFiles(directory=WEB / "static", packages=[("swagger_ui", "static")]),
        name="static",
    )
    app.include_router(ops.build_router())
    app.include_router(_api("transparency", transparency_router()), prefix=API)
    # The APIs before the pages: no page is under /api/, and each API's prefix turns away the
    # other paths at once, so a page pays a few checks and an API call no page's pattern.
    for module in platform.modules:
        if module.api:
            app.include_router(_api(module.name, module.api()), prefix=API)
    for module in platform.modules:
        if module.root_api:
            app.include_router(module.root_api())
    app.include_router(portal.build_router())
    app.include_router(jobs.build_router())
    for module in platform.modules:
        if module.pages:
            app.include_router(module.pages())
    return app


class _PrefixRouter(APIRouter):
    """Routes under one prefix, which requests for any other path skip in one comparison.

    FastAPI tries an app's routes in turn, each at several microseconds of bookkeeping, and
    does so twice a request (to match, then to handle): without this, a payment was tried
    against the 130 routes of the modules before payments (docs/benchmarks.md, "HTTP path").
    """

    def __init__(self, guard: str) -> None:
        super().__init__()
        self.guard = guard

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if path != self.guard and not path.startswith(self.guard + "/"):
            return Match.NONE, {}
        return super().matches(scope)


def _api(name: str, router: APIRouter) -> APIRouter:
    # Every include names its prefix: FastAPI checks an include without one for empty paths by
    # building each route's handler chain then and there: nearly half of an app's build time.
    guarded = _PrefixRouter(guard=f"{API}/{name}")
    guarded.include_router(router, prefix=f"/{name}")
    return guarded


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` (settings from SMARTCITY_* variables)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    app = create_app(Settings())
    try:
        # Audit entries a crash left queued become leaves before the first request.
        catch_up(app.state.platform)
    except SQLAlchemyError:
        logging.getLogger(__name__).exception("audit catch-up failed (is the database migrated?)")
    return app
