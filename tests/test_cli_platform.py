"""The platform commands of the ``pmo`` CLI: init, demo, serve, user, token, export, import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from typer.testing import CliRunner

from pmo.cli import app
from pmo.core.models import AuditEvent
from pmo.orgs.models import Membership, Organisation
from pmo.projects.models import Task

pytestmark = pytest.mark.django_db

runner = CliRunner()


def pmo(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def said(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def test_help_does_not_load_django():
    code = (
        "import sys; from pmo.cli import app; import pmo.commands.platform; "
        "assert 'django' not in sys.modules, 'django imported'; "
        "from typer.testing import CliRunner; "
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0, r.output; "
        "assert 'django' not in sys.modules; print(r.output)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for command in ("init", "demo", "serve", "user", "token", "export", "import"):
        assert command in done.stdout


def test_user_create_and_list_as_json(two_orgs: dict[str, Any]):
    result = pmo(
        "user", "create", "alice", "--password", "correct-horse-9", "--org", "acme",
        "--role", "project_manager", "--email", "alice@acme.example",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "alice" in result.stdout
    assert pmo("user", "create", "root", "-p", "another-long-pw-1", "--superuser").exit_code == 0
    alice = get_user_model().objects.get(username="alice")
    assert alice.check_password("correct-horse-9") and alice.email == "alice@acme.example"
    assert not alice.is_superuser
    assert get_user_model().objects.get(username="root").is_superuser
    membership = Membership.objects.get(user=alice)
    assert membership.organisation.code == "acme" and membership.role == "project_manager"
    assert AuditEvent.objects.filter(object_type="orgs.membership", object_id=membership.pk)

    result = pmo("user", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    users = {u["username"]: u for u in json.loads(result.stdout)}
    assert users["alice"]["organisations"] == [
        {"code": "acme", "role": "project_manager", "portfolio": None, "project": None}
    ]
    assert users["root"]["organisations"] == [] and users["root"]["is_superuser"]
    table = pmo("user", "list")
    assert table.exit_code == 0 and "alice" in table.stdout and "acme" in table.stdout


def test_user_create_prompts_for_the_password(db: Any):
    result = pmo("user", "create", "bob", input="s3cret-enough-pw\ns3cret-enough-pw\n")
    assert result.exit_code == 0, result.output
    assert get_user_model().objects.get(username="bob").check_password("s3cret-enough-pw")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--org", "acme"], "--org and --role together"),
        (["--org", "acme", "--role", "king"], "unknown role"),
        (["--org", "nowhere", "--role", "team_member"], "no organisation"),
        (["--password", "short"], "password"),
        (["--password", "password123"], "password"),
    ],
)
def test_user_create_errors_are_one_line_and_exit_2(
    two_orgs: dict[str, Any], args: list[str], words: str
):
    full = ["user", "create", "carol", *args]
    if "--password" not in args:
        full += ["--password", "long-enough-pw-42"]
    result = pmo(*full)
    assert result.exit_code == 2
    assert words in said(result.stderr)
    assert said(result.stderr).count("error:") == 1
    assert "Traceback" not in result.output
    assert not get_user_model().objects.filter(username="carol").exists()


def test_an_existing_user_is_a_conflict(db: Any):
    assert pmo("user", "create", "dave", "-p", "long-enough-pw-42").exit_code == 0
    result = pmo("user", "create", "dave", "-p", "long-enough-pw-42")
    assert result.exit_code == 2 and "already exists" in said(result.stderr)


def test_token_create_prints_only_the_token_which_works(two_orgs: dict[str, Any]):
    pmo("user", "create", "erin", "-p", "long-enough-pw-42", "--org", "acme", "--role",
        "team_member")  # fmt: skip
    result = pmo("token", "create", "erin", "--name", "laptop")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("pmo_") and "\n" not in token
    assert token not in result.stderr
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/me")
    assert response.status_code == 200
    me = response.json()
    assert me["username"] == "erin"
    assert [m["role"] for m in me["memberships"]] == ["team_member"]
    bad = pmo("token", "create", "nobody")
    assert bad.exit_code == 2 and "nobody" in said(bad.stderr) and not bad.stdout


def test_export_and_import_round_trip_through_files(two_orgs: dict[str, Any], tmp_path: Path):
    from pmo.orgs.transfer import delete_organisation

    first = tmp_path / "acme.json"
    result = pmo("export", "acme", "--out", str(first))
    assert result.exit_code == 0, result.output
    doc = json.loads(first.read_text(encoding="utf-8"))
    assert doc["organisation"]["code"] == "acme" and len(doc["tasks"]) == 2
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind

    delete_organisation(Organisation.objects.get(code="acme"))
    result = pmo("import", str(first))
    assert result.exit_code == 0, result.output
    assert "acme" in result.stdout
    assert Task.objects.filter(organisation__code="acme").count() == 2

    second = tmp_path / "again.json"
    assert pmo("export", "acme", "-o", str(second)).exit_code == 0
    assert json.loads(second.read_text(encoding="utf-8")) == doc
    to_stdout = pmo("export", "acme", "--out", "-")
    assert json.loads(to_stdout.stdout) == doc

    again = pmo("import", str(first))
    assert again.exit_code == 2 and "already exists" in said(again.stderr)


def test_bad_files_are_reported_and_nothing_is_imported(db: Any, tmp_path: Path):
    missing = pmo("import", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "cannot read" in said(missing.stderr)

    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "pmo.organisation",\n "version": 1,,}', encoding="utf-8")
    result = pmo("import", str(broken))
    assert result.exit_code == 2
    assert "line 2: not valid JSON" in said(result.stderr)

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "pmo.organisation", "version": 1}), encoding="utf-8")
    result = pmo("import", str(bad))
    assert result.exit_code == 2
    assert "$.organisation: required" in said(result.stderr)
    assert not Organisation.objects.exists()

    unknown = pmo("export", "nowhere", "--out", str(tmp_path / "x.json"))
    assert unknown.exit_code == 2 and "nowhere" in said(unknown.stderr)
    nodir = pmo("export", "nowhere", "--out", str(tmp_path / "no" / "x.json"))
    assert nodir.exit_code == 2


def test_init_migrates_and_asks_for_a_superuser(db: Any):
    result = pmo("init", "--no-input")
    assert result.exit_code == 0, result.output
    assert "No superuser yet" in result.stdout
    assert not get_user_model().objects.exists()
    result = pmo("init", input="root\nroot@example.org\nlong-enough-pw-42\nlong-enough-pw-42\n")
    assert result.exit_code == 0, result.output
    root = get_user_model().objects.get(username="root")
    assert root.is_superuser and root.check_password("long-enough-pw-42")
    # With a superuser, nothing is asked.
    assert pmo("init").exit_code == 0


def test_demo_if_empty_and_logins_without_demo(two_orgs: dict[str, Any]):
    result = pmo("demo", "--if-empty")
    assert result.exit_code == 0
    assert "already has organisations" in said(result.stderr)
    assert Organisation.objects.count() == 2
    result = pmo("demo", "--logins")
    assert result.exit_code == 0 and "No demo users" in result.stdout


@pytest.mark.slow
def test_demo_loads_once_and_lists_the_logins(db: Any):
    result = pmo("demo", "--if-empty", "--logins", "--seed", "5", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert Organisation.objects.count() == 3 and Task.objects.count() >= 4000
    for text in ("lumiere.pm", "demo-lumiere.pm", "maple.exec", "demo-admin"):
        assert text in result.stdout
    assert "http://127.0.0.1:8123/" in result.stdout
    again = pmo("demo")
    assert again.exit_code == 2 and "already exist" in said(again.stderr)
    skipped = pmo("demo", "--if-empty")
    assert skipped.exit_code == 0 and "not loaded" in said(skipped.stderr)
    user = get_user_model().objects.get(username="thames.exec")
    user.set_password("a-brand-new-secret")
    user.save()
    listed = pmo("demo", "--logins")
    line = next(line for line in listed.stdout.splitlines() if "thames.exec" in line)
    assert "(changed)" in line and "demo-thames.exec" not in line


def test_serve_runs_waitress_on_the_wsgi_application(db: Any, monkeypatch: pytest.MonkeyPatch):
    import waitress

    from pmo.wsgi import application

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append((app, kw)))
    result = pmo("serve", "--host", "127.0.0.1", "--port", "8765")
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8765/" in result.stdout
    assert calls and calls[0][0] is application
    assert calls[0][1]["host"] == "127.0.0.1" and calls[0][1]["port"] == 8765

    def busy(app: Any, **kw: Any) -> None:
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(waitress, "serve", busy)
    result = pmo("serve", "--port", "8765")
    assert result.exit_code == 2 and "Address already in use" in said(result.stderr)
