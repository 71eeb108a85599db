"""CLI: ``pmo evm PROJECT --as-of DATE`` (database form), ``pmo cost-lines import``,
``pmo evm-snapshot``, ``pmo budget``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pmo.cli import app

SERIES_KEYS = [
    "period", "pv", "ev", "ac", "sv", "cv", "spi", "cpi", "eac", "etc", "vac", "tcpi",
    "es", "sv_t", "spi_t", "ieac_t",
]  # fmt: skip


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_evm_project_as_of(progressed: dict[str, Any]) -> None:
    code, out, err = run("evm", "acme-1", "--as-of", "2026-02-13")
    assert code == 0, err
    (record,) = json.loads(out)
    assert list(record) == ["project", "date", "currency", "bac", *SERIES_KEYS]
    assert [record["project"], record["date"], record["currency"]] == [
        "acme-1",
        "2026-02-13",
        "EUR",
    ]
    assert (record["bac"], record["pv"], record["ev"], record["ac"]) == (16000, 12000, 11680, 12600)
    assert (record["sv"], record["cv"]) == (-320, -920)
    assert record["spi"] == pytest.approx(0.973333, abs=1e-6)
    assert record["cpi"] == pytest.approx(0.926984, abs=1e-6)
    assert record["eac"] == 17260.27 and record["vac"] == -1260.27
    assert record["tcpi"] == pytest.approx(4320 / 3400, abs=1e-6)
    assert record["period"] == pytest.approx(1 + 13 / 28, abs=1e-4)  # AT, in months
    assert record["es"] == pytest.approx(1 + 0.9 * 13 / 28, abs=1e-4)
    assert record["spi_t"] == pytest.approx(39.7 / 41, abs=1e-6)
    code, out, _ = run("evm", "acme-1", "--as-of", "2026-02-13", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["project", "date", "currency", "bac", *SERIES_KEYS]
    assert rows[0]["ev"] == "11680" and rows[0]["eac"] == "17260.27"


def test_evm_trend_and_errors(progressed: dict[str, Any]) -> None:
    code, _, err = run("evm-snapshot", "acme-1", "--as-of", "2026-01-31", "--user", "fin-admin")
    assert code == 0, err
    code, _, err = run("evm-snapshot", "acme-1", "--as-of", "2026-01-31", "--user", "fin-admin")
    assert code == 2 and "already has an EVM snapshot at 2026-01-31" in err
    code, _, err = run("evm-snapshot", "acme-1", "--as-of", "2026-02-13")
    assert code == 2 and "give --user USERNAME" in err
    code, out, err = run("evm", "acme-1", "--as-of", "2026-02-13", "--trend")
    assert code == 0, err
    records = json.loads(out)
    assert [r["date"] for r in records] == ["2026-01-31", "2026-02-13"]
    assert records[0]["ev"] == 8800 and records[0]["spi_t"] == 1
    code, _, err = run("evm", "nope-9")
    assert code == 2 and err == "error: no project with code 'nope-9'\n"
    code, _, err = run("evm", "acme-1", "--org", "globex")
    assert code == 2 and "in organisation 'globex'" in err


def test_cost_lines_import(progressed: dict[str, Any], tmp_path: Path) -> None:
    from pmo.finance.models import CostLine

    path = tmp_path / "ledger.csv"
    path.write_text(
        "Posting date,Net,Category,WBS,Ref\n"
        "2026-02-20,100,material,2,A-1\n"
        "2026-02-21,x,material,2,A-2\n",
        encoding="utf-8",
    )
    args = ["cost-lines", "import", "acme-1", str(path), "--map", "Posting date=date"]
    args += ["--map", "Net=amount", "--map", "Ref=reference"]
    code, _, err = run(*args, "--user", "fin-admin")
    assert code == 2
    assert f"error: {path}, line 3, field Net: not an amount: 'x'" in err
    assert not CostLine.objects.filter(reference__startswith="A-").exists()
    path.write_text(path.read_text().replace(",x,", ",250.5,"), encoding="utf-8")
    code, out, err = run(*args, "--user", "fin-admin", "--dry-run")
    assert code == 0 and "Checked 2 cost lines into acme-1: 350.50 EUR" in out
    code, out, err = run(*args, "--user", "fin-admin")
    assert code == 0, err
    assert "Imported 2 cost lines into acme-1: 350.50 EUR" in out
    assert CostLine.objects.filter(reference__startswith="A-", source="finance import").count() == 2
    code, _, err = run("cost-lines", "import", "acme-1", str(tmp_path / "none.csv"))
    assert code == 2 and "cannot read" in err


def test_budget(progressed: dict[str, Any]) -> None:
    code, out, err = run("budget", "acme-pf", "--as-of", "2026-02-13")
    assert code == 0, err
    assert "acme-1" in out and "17,260.27" in out and "CPI" in out
    code, out, _ = run("budget", "acme-pf", "--as-of", "2026-02-13", "--format", "json")
    assert json.loads(out)["rows"][0]["flags"] == ["CPI"]
