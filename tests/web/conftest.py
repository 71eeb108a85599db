"""Fixtures of the web page tests: a logged-in client for a user of one organisation."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture
def login_as(client: Any, make_user: Callable[..., Any]) -> Callable[..., Any]:
    """``login_as(org, role="pmo_admin", **scope)``: a member of ``org``, logged in."""
    counter = {"n": 0}

    def login(org: Any, role: str = "pmo_admin", **scope: Any) -> Any:
        counter["n"] += 1
        user = make_user(f"{role}-{counter['n']}", org, role, **scope)
        client.force_login(user)
        return user

    return login


@pytest.fixture
def big_project(two_orgs: dict[str, Any]) -> Callable[[int], Any]:
    """``big_project(n)``: an acme project with ``n`` tasks in phases of 10, chained."""
    from pmo.projects.models import Dependency, Project, Task

    def make(n: int) -> Any:
        acme = two_orgs["acme"]
        org = acme["org"]
        project = Project.objects.create(
            organisation=org,
            portfolio=acme["portfolio"],
            program=acme["program"],
            code=f"big-{n}",
            name=f"Big project {n}",
            currency="EUR",
            calendar=acme["calendar"],
        )
        tasks: list[Any] = []
        parent = None
        for i in range(n):
            if i % 10 == 0:
                parent = Task.objects.create(
                    organisation=org,
                    project=project,
                    name=f"Phase {i // 10 + 1}",
                    position=i,
                    wbs=f"{i // 10 + 1}",
                )
                tasks.append(parent)
                continue
            tasks.append(
                Task.objects.create(
                    organisation=org,
                    project=project,
                    parent=parent,
                    name=f"Task {i}",
                    position=i,
                    wbs=f"{i // 10 + 1}.{i % 10}",
                    duration_minutes=480 * (1 + i % 3),
                    is_critical=i % 4 == 0,
                    total_float_minutes=0 if i % 4 == 0 else 960,
                )
            )
        leaves = [t for t in tasks if t.parent_id is not None]
        Dependency.objects.bulk_create(
            Dependency(organisation=org, predecessor=a, successor=b, lag=480 * (k % 2))
            for k, (a, b) in enumerate(itertools.pairwise(leaves))
        )
        return project

    return make


@pytest.fixture
def browser_context(live_server: Any) -> Iterator[Callable[[], Any]]:
    """``browser_context()`` opens a new browser context (its own cookies) on the live app."""
    from browser_support import chromium

    with chromium(live_server.url, {"width": 1400, "height": 1000}) as new_context:
        yield new_context


@pytest.fixture
def page(live_server: Any) -> Iterator[Any]:
    """A page of a fresh chromium on the live app (pytest-django's ``live_server``)."""
    from browser_support import chromium

    with chromium(live_server.url, {"width": 1400, "height": 900}) as new_context:
        context = new_context()
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        try:
            yield pg
        finally:
            context.close()
