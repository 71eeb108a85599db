"""``pmo evm --series FILE.csv``: the file form of the EVM command (no database)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pmo.commands import evm as evm_command

KEYS = [
    "period", "pv", "ev", "ac", "sv", "cv", "spi", "cpi", "eac", "etc", "vac", "tcpi",
    "es", "sv_t", "spi_t", "ieac_t",
]  # fmt: skip

# Constructed plan (hand-computed, laid out like Lipke's "Schedule is Different" figure:
# status at the end of month 7 with EV between the PV of months 5 and 6).
SERIES = """period,pv,ev,ac
1,100,80,90
2,250,200,220
3,450,350,400
4,700,520,600
5,1000,700,800
6,1300,900,1000
7,1550,1120,1250
8,1750,,
9,1900,,
10,2000,,
"""


def make_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """Test app: a group, so that ``evm`` is a subcommand as in ``pmo``."""

    evm_command.register(app)
    return app


def run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(make_app(), args)
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str, name: str = "series.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_json_output(tmp_path: Path) -> None:
    code, out, err = run(["evm", "--series", write(tmp_path, SERIES)])
    assert code == 0, err
    records = json.loads(out)
    assert [r["period"] for r in records] == [1, 2, 3, 4, 5, 6, 7]
    assert all(list(r) == KEYS for r in records)
    last = records[-1]
    assert last["pv"] == 1550 and last["ev"] == 1120 and last["ac"] == 1250
    assert last["sv"] == -430 and last["cv"] == -130
    assert last["spi"] == pytest.approx(1120 / 1550)
    assert last["cpi"] == pytest.approx(1120 / 1250)
    assert last["eac"] == pytest.approx(2000 * 1250 / 1120)
    assert last["etc"] == pytest.approx(2000 * 1250 / 1120 - 1250)
    assert last["vac"] == pytest.approx(2000 - 2000 * 1250 / 1120)
    assert last["tcpi"] == pytest.approx(880 / 750)
    assert last["es"] == pytest.approx(5.4)
    assert last["sv_t"] == pytest.approx(-1.6)
    assert last["spi_t"] == pytest.approx(5.4 / 7)
    assert last["ieac_t"] == pytest.approx(70 / 5.4)
    assert records[0]["es"] == pytest.approx(0.8)


def test_csv_output_and_nulls(tmp_path: Path) -> None:
    text = "period,pv,ev,ac\n1,0,0,0\n2,100,50,0\n3,200,,\n"
    code, out, err = run(["evm", "--series", write(tmp_path, text), "--format", "csv"])
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == KEYS
    assert rows[0]["spi"] == "" and rows[0]["cpi"] == ""  # 0/0: undefined
    assert rows[0]["es"] == "1"  # nothing planned, nothing earned: on schedule
    assert rows[1]["cpi"] == ""  # AC = 0
    assert rows[1]["spi"] == "0.5"
    code, out, _ = run(["evm", "--series", write(tmp_path, text)])
    first = json.loads(out)[0]
    assert first["spi"] is None and first["eac"] is None and first["es"] == 1


def test_bac_and_planned_duration_options(tmp_path: Path) -> None:
    path = write(tmp_path, SERIES)
    _, out, _ = run(["evm", "--series", path, "--bac", "4000", "--planned-duration", "12"])
    last = json.loads(out)[-1]
    assert last["eac"] == pytest.approx(4000 * 1250 / 1120)
    assert last["tcpi"] == pytest.approx((4000 - 1120) / (4000 - 1250))
    assert last["ieac_t"] == pytest.approx(12 * 7 / 5.4)
    code, _, err = run(["evm", "--series", path, "--bac", "1000"])
    assert code == 2
    assert "--bac 1000 is below the cumulative pv 1300 of period 6" in err


def test_planned_duration_defaults_to_where_pv_reaches_bac(tmp_path: Path) -> None:
    # Late project: the plan ends at period 3 (pv empty after it), work goes on to period 5.
    text = "period,pv,ev,ac\n1,10,5,5\n2,20,10,10\n3,30,15,15\n4,,25,25\n5,,30,30\n"
    code, out, err = run(["evm", "--series", write(tmp_path, text)])
    assert code == 0, err
    records = json.loads(out)
    assert [r["pv"] for r in records] == [10, 20, 30, 30, 30]
    assert records[-1]["es"] == 3  # ES = PD at completion
    assert records[-1]["spi_t"] == pytest.approx(3 / 5)
    assert records[-1]["spi"] == 1
    assert records[3]["es"] == pytest.approx(2.5)
    # --bac above the last pv: PV never reaches BAC -> the periods with pv, and a warning
    code, out, err = run(["evm", "--series", write(tmp_path, text), "--bac", "60"])
    assert code == 0
    assert "warning: pv never reaches BAC 60" in err
    assert json.loads(out)[0]["tcpi"] == pytest.approx(55 / 55)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("period,pv,ev,ac\n1,10,abc,5\n", "line 2, field ev: not a number: 'abc'"),
        ("period,pv,ev,ac\n1,10,5,5\n2,8,6,6\n", "line 3, field pv: cumulative pv decreases"),
        ("period,pv,ev,ac\n1,10,5,\n", "line 2, field ac: ac is empty but ev is given"),
        ("period,pv,ev,ac\n1,10,5,5\n3,20,6,6\n", "line 3, field period: expected period 2"),
        ("period,pv,ev,ac\n1,10,5\n", "line 2: expected 4 fields, got 3"),
        ("period,pv,ev,cost\n", "line 1, field cost: unknown column 'cost'"),
        ("period,pv,ev\n", "line 1: missing column(s) ac"),
        ("", "the file is empty"),
        ("period,pv,ev,ac\n", "no periods after the header"),
        ("period,pv,ev,ac\n1,10,-5,5\n", "line 2, field ev: must be >= 0"),
        ("period,pv,ev,ac\n1,10,nan,5\n", "line 2, field ev: not a number: 'nan'"),
        ("period,pv,ev,ac\n1,10,5,5\n2,,,\n3,30,,\n", "line 3, field pv: pv is empty here"),
        ('period,pv,ev,ac\n1,10,"5,5\n', "not valid CSV"),
        ("period,pv,ev,ac\n1,0,0,0\n", "pv is 0 in every period, so BAC is 0; give --bac"),
    ],
)
def test_bad_csv_is_one_line_with_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    code, out, err = run(["evm", "--series", path])
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("error: ")
    assert expected in err


def test_long_error_lines_are_not_wrapped(tmp_path: Path) -> None:
    deep = tmp_path / ("a-rather-long-directory-name-" * 4)
    deep.mkdir()
    code, _, err = run(["evm", "--series", write(deep, "period,pv,ev,ac\n1,10,[x],5\n")])
    assert code == 2
    assert err.count("\n") == 1
    assert "line 2, field ev: not a number: '[x]'" in err  # printed literally, no markup


def test_unreadable_files(tmp_path: Path) -> None:
    code, _, err = run(["evm", "--series", str(tmp_path / "missing.csv")])
    assert code == 2 and "missing.csv: cannot read" in err and err.count("\n") == 1
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(b"period,pv,ev,ac\n1,10,5,5 \xe9\n")
    code, _, err = run(["evm", "--series", str(bad)])
    assert code == 2 and "line 2: not UTF-8 text" in err


def test_series_and_project_forms_do_not_mix(tmp_path: Path) -> None:
    # The database form (pmo evm PROJECT --as-of DATE) is tested in tests/finance.
    code, _, err = run(["evm"])
    assert code == 2 and "give --series FILE.csv" in err
    code, _, err = run(["evm", "ACME-1", "--series", write(tmp_path, SERIES)])
    assert code == 2 and "give no PROJECT" in err
    code, _, err = run(["evm", "--as-of", "2025-06-30", "--series", write(tmp_path, SERIES)])
    assert code == 2 and "give no PROJECT" in err
    code, out, err = run(["evm", "ACME-1", "--as-of", "30/06/2025"])
    assert code == 2 and out == ""
    assert err == "error: --as-of: not a date (YYYY-MM-DD): '30/06/2025'\n"


def test_module_imports_neither_django_nor_numpy() -> None:
    code = (
        "import sys, pmo.commands.evm; "
        "bad = [m for m in ('django', 'numpy', 'numba') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_real_process_stdout_and_stderr(tmp_path: Path) -> None:
    script = (
        "import typer\n"
        "from pmo.commands import evm\n"
        "app = typer.Typer()\n"
        "@app.callback()\n"
        "def main() -> None: pass\n"
        "evm.register(app)\n"
        "app()\n"
    )
    good = write(tmp_path, SERIES)
    proc = subprocess.run(
        [sys.executable, "-c", script, "evm", "--series", good, "--format", "csv"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == ",".join(KEYS)
    assert len(proc.stdout.splitlines()) == 8
    bad = write(tmp_path, "period,pv,ev,ac\n1,10,5,5\n2,20,x,6\n", "bad.csv")
    proc = subprocess.run(
        [sys.executable, "-c", script, "evm", "--series", bad], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [f"error: {bad}, line 3, field ev: not a number: 'x'"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--bac", "0"], "--bac must be a positive amount"),
        (["--bac", "nan"], "--bac must be a positive amount"),
        (["--planned-duration", "0"], "--planned-duration must be > 0"),
    ],
)
def test_bad_options(tmp_path: Path, args: list[str], expected: str) -> None:
    code, out, err = run(["evm", "--series", write(tmp_path, SERIES), *args])
    assert code == 2 and out == ""
    assert err.startswith("error: ") and expected in err and err.count("\n") == 1
