"""The levelling engines on PSPLIB instances: known optima from ``bounds.csv``."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from pmo.engine.level import LevelOptions, LevelProblem, check_schedule, level
from pmo.interop.psplib import read_sm

PSPLIB = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks" / "psplib"

# a few J30 instances, easy and harder (low resource strength), and one J60
INSTANCES = ("j30/j301_1.sm", "j30/j3013_4.sm", "j30/j3029_2.sm", "j30/j3045_3.sm")


def _bounds() -> dict[str, dict[str, str]]:
    with (PSPLIB / "bounds.csv").open(newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


def _problem(rel: str) -> LevelProblem:
    inst = read_sm(PSPLIB / rel)
    return LevelProblem.from_successors(
        inst.durations, inst.successors, inst.demands, inst.capacities
    )


pytestmark = pytest.mark.skipif(
    not (PSPLIB / "bounds.csv").is_file(), reason="shared PSPLIB data is not present"
)


@pytest.mark.parametrize("rel", INSTANCES)
def test_exact_engine_proves_the_known_optimum(rel: str) -> None:
    optimum = int(_bounds()[rel]["best_known_ub"])
    problem = _problem(rel)
    r = level(problem, LevelOptions(engine="exact", time_limit=30))
    assert check_schedule(problem, r.starts) == []
    assert r.makespan == optimum
    assert r.optimal and r.lower_bound == optimum
    assert r.engine == "exact"


@pytest.mark.parametrize("rel", [*INSTANCES, "j60/j6013_1.sm"])
def test_heuristic_is_feasible_and_within_reach(rel: str) -> None:
    best = int(_bounds()[rel]["best_known_ub"])
    problem = _problem(rel)
    r = level(problem, LevelOptions(engine="heuristic", schedules=2000, seed=1))
    assert check_schedule(problem, r.starts) == []
    assert best <= r.makespan <= best * 1.15
    assert 0 < r.schedules <= 2000
    # every move is explained by a moved predecessor or a named resource and its holders
    for move in r.moves:
        if move.resource_delay:
            assert move.resource is not None and move.holders
            holders = np.array(move.holders)
            period = move.period
            assert period is not None
            finish = r.starts + problem.durations
            assert np.all((r.starts[holders] <= period) & (finish[holders] > period))


@pytest.mark.parametrize("slack", [-1.0, 0.0, 0.05])
def test_unjustified_children_keep_the_schedule_count_honest(slack: float) -> None:
    # children far above the population's worst makespan skip justification: one schedule
    # each instead of three; the budget still holds and the result stays feasible
    from pmo.engine.level import prepare
    from pmo.engine.level_heuristic import run_heuristic

    problem = _problem("j60/j6013_1.sm")
    prep = prepare(problem)
    h = run_heuristic(
        prep.arrays,
        schedules=1500,
        time_limit=30.0,
        rng=np.random.default_rng(0),
        lower_bound=prep.lower_bound,
        justify_slack=slack,
    )
    assert 0 < h.schedules <= 1500
    assert check_schedule(problem, h.starts) == []
    assert h.makespan >= int(_bounds()["j60/j6013_1.sm"]["best_known_ub"])
