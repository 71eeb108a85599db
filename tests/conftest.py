"""Shared fixtures: users in several organisations, API clients, the shared data folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


class ApiClient:
    """A Django test client that speaks JSON and sends a bearer token."""

    def __init__(self, token: str) -> None:
        from django.test import Client

        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def _call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs, **extra)

    def get(self, path: str, **headers: str) -> Any:
        return self._call("get", path, **headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self._call("post", path, body, **headers)

    def patch(self, path: str, body: Any = None, **headers: str) -> Any:
        return self._call("patch", path, body, **headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self._call("delete", path, **headers)


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from django.contrib.auth import get_user_model

    from pmo.orgs.models import Membership

    def make(username: str, org: Any = None, role: str = "pmo_admin", **scope: Any) -> Any:
        user = get_user_model().objects.create_user(username, password="pw-for-tests-only")
        if org is not None:
            Membership.objects.create(user=user, organisation=org, role=role, **scope)
        return user

    return make


@pytest.fixture
def api_for() -> Callable[[Any], ApiClient]:
    from pmo.core.tokens import create_token_for

    def make(user: Any) -> ApiClient:
        _, token = create_token_for(user, "tests")
        return ApiClient(token)

    return make


@pytest.fixture
def two_orgs(db: Any) -> dict[str, Any]:
    """Two client organisations, each with a portfolio, program, project, two linked tasks."""
    from pmo.orgs.models import Calendar, Organisation
    from pmo.portfolio.models import Portfolio, Program
    from pmo.projects.models import Dependency, Project, Task

    out: dict[str, Any] = {}
    for code, country, currency in [("acme", "FR", "EUR"), ("globex", "GB", "GBP")]:
        org = Organisation.objects.create(
            code=code, name=code.title(), country=country, currency=currency
        )
        cal = Calendar.objects.create(organisation=org, name="Standard", country=country)
        portfolio = Portfolio.objects.create(
            organisation=org, code=f"{code}-pf", name=f"{code} portfolio", currency=currency
        )
        program = Program.objects.create(
            organisation=org, portfolio=portfolio, code=f"{code}-pg", name=f"{code} program"
        )
        project = Project.objects.create(
            organisation=org,
            portfolio=portfolio,
            program=program,
            code=f"{code}-1",
            name=f"{code} project",
            currency=currency,
            calendar=cal,
        )
        t1 = Task.objects.create(organisation=org, project=project, name="Design", position=1)
        t2 = Task.objects.create(organisation=org, project=project, name="Build", position=2)
        link = Dependency.objects.create(organisation=org, predecessor=t1, successor=t2)
        out[code] = {
            "org": org,
            "calendar": cal,
            "portfolio": portfolio,
            "program": program,
            "project": project,
            "tasks": [t1, t2],
            "dependency": link,
        }
    return out
