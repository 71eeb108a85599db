"""Resetting a user's calendar feed links (``pmo.core.feeds``): from the personal page (a POST
with CSRF), the Export page, the API (``POST /feed-links``) and the CLI
(``pmo user reset-feed``). After a reset every feed URL the user handed out answers 404, the
new ones work, another user's are untouched, and the reset is audited without its secret."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from typer.testing import CliRunner

from pmo.cli import app

pytestmark = pytest.mark.django_db


@pytest.fixture
def feeds(two_orgs: dict[str, Any], make_user: Any, api_for: Any) -> dict[str, Any]:
    from pmo.resources.models import Resource

    acme = two_orgs["acme"]
    alice = make_user("alice", acme["org"], "pmo_admin")
    bob = make_user("bob", acme["org"], "team_member")
    resource = Resource.objects.create(
        organisation=acme["org"], code="ANN", name="Ann", currency="EUR"
    )
    return {
        **acme,
        "alice": alice,
        "bob": bob,
        "api": api_for(alice),
        "bob_api": api_for(bob),
        "paths": [
            f"/projects/{acme['project'].pk}/milestones.ics",
            f"/resources/{resource.pk}/assignments.ics",
        ],
    }


def _urls(api: Any, paths: list[str]) -> list[str]:
    """The secret feed URLs the API hands out now (``X-Feed-Url``), without the host."""
    out = []
    for path in paths:
        r = api.get(path)
        assert r.status_code == 200, r.content
        out.append(r["X-Feed-Url"].removeprefix("http://testserver"))
    return out


def _statuses(urls: list[str]) -> list[int]:
    calendar_app = Client()  # no session, no token: only the key in the URL
    return [calendar_app.get(u).status_code for u in urls]


def _reset_events(user: Any) -> list[Any]:
    from pmo.core.models import AuditEvent

    return list(
        AuditEvent.objects.filter(object_type="auth.user", object_id=user.pk).order_by("id")
    )


def test_api_reset_revokes_every_old_url_and_is_audited(feeds: dict[str, Any]) -> None:
    from pmo.core.models import FeedSecret

    old = _urls(feeds["api"], feeds["paths"])
    bobs = _urls(feeds["bob_api"], feeds["paths"][:1])
    assert _statuses(old + bobs) == [200, 200, 200]
    assert _urls(feeds["api"], feeds["paths"]) == old  # stable until reset
    r = feeds["api"].post("/feed-links")
    assert r.status_code == 201, r.content
    row = FeedSecret.objects.get(user=feeds["alice"])
    assert r.json()["reset_at"].startswith(row.reset_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert _statuses(old) == [404, 404]
    new = _urls(feeds["api"], feeds["paths"])
    assert all(a != b for a, b in zip(old, new, strict=True))
    assert _statuses(new) == [200, 200]
    assert _statuses(bobs) == [200]  # another user's links are untouched
    (event,) = _reset_events(feeds["alice"])
    assert (event.action, event.username, event.organisation_id) == ("update", "alice", None)
    assert event.changes == {"feed_links_reset_at": [None, row.reset_at.isoformat()]}
    assert row.secret not in str(event.changes)
    # a second reset: the new URLs die too, and the trail links the two resets
    first = row.reset_at.isoformat()
    assert feeds["api"].post("/feed-links").status_code == 201
    assert _statuses(new) == [404, 404]
    second = _reset_events(feeds["alice"])[-1]
    assert second.changes["feed_links_reset_at"][0] == first
    # a feed key opens its feed only, never the reset route
    assert Client().post(f"/api/v1/feed-links?key={new[0].split('key=')[1]}").status_code == 401


def test_the_reset_button_needs_csrf_and_revokes(feeds: dict[str, Any]) -> None:
    old = _urls(feeds["api"], feeds["paths"])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(feeds["alice"])
    page = browser.get("/tokens/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="feed-links"' in html and "Never reset." in html
    form = re.search(r'<form method="post" action="/feeds/reset/".*?</form>', html, re.S)
    assert form is not None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0))
    assert token is not None
    # without the CSRF token: refused, nothing reset
    assert browser.post("/feeds/reset/").status_code == 403
    assert _statuses(old) == [200, 200] and _reset_events(feeds["alice"]) == []
    # a GET does not reset either
    assert browser.get("/feeds/reset/").status_code == 405
    response = browser.post("/feeds/reset/", {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302 and response["Location"] == "/tokens/"
    assert _statuses(old) == [404, 404]
    assert _statuses(_urls(feeds["api"], feeds["paths"])) == [200, 200]
    assert "Last reset" in browser.get("/tokens/").content.decode()
    assert len(_reset_events(feeds["alice"])) == 1


def test_the_export_page_resets_and_shows_the_new_urls(feeds: dict[str, Any]) -> None:
    browser = Client()
    browser.force_login(feeds["alice"])
    export = f"/projects/{feeds['project'].pk}/export/"
    milestones = feeds["paths"][0]

    def shown() -> str:
        html = browser.get(export).content.decode()
        assert 'id="feed-links-reset"' in html and f'name="next" value="{export}"' in html
        found = re.search(rf'value="http://testserver(/api/v1{milestones}\?key=[^"]+)"', html)
        assert found is not None
        return found.group(1)

    before = shown()
    assert _statuses([before]) == [200]
    response = browser.post("/feeds/reset/", {"next": export})
    assert response.status_code == 302 and response["Location"] == export
    after = shown()
    assert after != before and _statuses([before, after]) == [404, 200]
    # an off-site "next" is not followed
    response = browser.post("/feeds/reset/", {"next": "https://elsewhere.example/"})
    assert response["Location"] == "/tokens/"


def test_the_session_api_needs_csrf(feeds: dict[str, Any]) -> None:
    old = _urls(feeds["api"], feeds["paths"])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(feeds["alice"])
    r = browser.post("/api/v1/feed-links")
    assert r.status_code == 403
    assert _statuses(old) == [200, 200] and _reset_events(feeds["alice"]) == []


def test_the_cli_resets_a_users_links(feeds: dict[str, Any]) -> None:
    old = _urls(feeds["api"], feeds["paths"])
    bobs = _urls(feeds["bob_api"], feeds["paths"])
    result = CliRunner().invoke(app, ["user", "reset-feed", "alice"])
    assert result.exit_code == 0, result.output
    assert "Calendar feed links of alice reset" in " ".join(result.stdout.split())
    assert _statuses(old) == [404, 404] and _statuses(bobs) == [200, 200]
    (event,) = _reset_events(feeds["alice"])
    assert event.username == "system"  # the instance operator, at the console
    result = CliRunner().invoke(app, ["user", "reset-feed", "nobody"])
    assert result.exit_code == 2 and "no user 'nobody'" in result.output


def test_only_the_user_or_an_operator_resets(feeds: dict[str, Any], make_user: Any) -> None:
    from pmo.core.access import Access
    from pmo.core.feeds import do_reset_feed_links
    from pmo.errors import PermissionDenied

    old = _urls(feeds["bob_api"], feeds["paths"][:1])
    with pytest.raises(PermissionDenied):  # Bob's PMO admin cannot reset Bob's links
        do_reset_feed_links(Access(feeds["alice"]), feeds["bob"])
    assert _statuses(old) == [200]
    root = make_user("root")
    root.is_superuser = True
    root.save()
    do_reset_feed_links(Access(root), feeds["bob"])
    assert _statuses(old) == [404]
    assert _reset_events(feeds["bob"])[-1].username == "root"
