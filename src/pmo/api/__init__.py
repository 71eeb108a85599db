"""The REST API under /api/v1 (django-ninja). OpenAPI schema at /api/v1/openapi.json."""

from __future__ import annotations

import importlib

from ninja import NinjaAPI

from pmo.api.auth import SessionAuth, TokenAuth
from pmo.api.errors import install

api = NinjaAPI(
    title="pmo API",
    version="1",
    description=(
        "The Project Management Office API. Authenticate with `Authorization: Bearer <token>` "
        "(`pmo token create USERNAME`, or the Tokens page). Writes carry the version they "
        'were read at: `If-Match: "<version>"` (the ETag of a GET). Lists take `limit` and '
        '`offset` and answer `{"items": [...], "count": N}`.'
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
)
install(api)

# Each domain's ``api`` module exposes ``register(api)``.
API_MODULES = (
    "pmo.core.api",
    "pmo.orgs.api",
    "pmo.portfolio.api",
    "pmo.projects.api",
    "pmo.projects.api_schedule",
    "pmo.projects.api_interop",
    "pmo.resources.api",
    "pmo.finance.api",
    "pmo.risks.api",
    "pmo.governance.api",
    "pmo.reports.api",
)

for _name in API_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise
        continue
    _module.register(api)
