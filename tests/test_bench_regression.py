"""bench/regression.py: the fan-out of the working tree against a git ref, in one run."""

from __future__ import annotations

import json
import subprocess

from bench import regression
from bench.regression import ROOT, verdict


def test_a_figure_worse_than_the_tolerance_is_named_and_fails_the_check():
    ref = {
        "deliveries_per_s": 1000.0,
        "p50_ms": 20.0,
        "p99_ms": 100.0,
        "server_cpu_ms_per_delivery": 1.0,
    }
    slower = {**ref, "deliveries_per_s": 850.0, "p99_ms": 109.0, "lost": 0}

    result = verdict(slower, {**ref, "lost": 0}, tolerance=0.10)

    assert result["regressed"] == ["deliveries_per_s"]  # p99 is 9% worse: within 10%
    assert result["ratios_working_over_ref"]["deliveries_per_s"] == 0.85
    assert not result["within_tolerance"]
    assert verdict({**ref, "lost": 0}, {**ref, "lost": 0}, 0.10)["within_tolerance"]
    assert not verdict({**ref, "lost": 3}, {**ref, "lost": 0}, 0.10)["within_tolerance"]


def test_a_tiny_run_against_head_measures_both_and_removes_its_worktree(tmp_path, capsys):
    output = tmp_path / "regression.json"
    before = subprocess.run(
        ["git", "worktree", "list"], check=False, cwd=ROOT, capture_output=True, text=True
    ).stdout

    argv = [
        "--ref",
        "HEAD",
        "--quick",
        "--sessions",
        "3",
        "--talkers",
        "1",
        "--messages",
        "2",
        "--output",
        str(output),
    ]
    assert regression.main(argv) == 0

    report = json.loads(output.read_text())
    assert json.loads(capsys.readouterr().out) == report
    assert set(report["runs"]) == {"ref", "working_tree"}
    assert all(len(runs) == 1 and runs[0]["lost"] == 0 for runs in report["runs"].values())
    assert set(report["ratios_working_over_ref"]) == {
        "deliveries_per_s",
        "p50_ms",
        "p99_ms",
        "server_cpu_ms_per_delivery",
    }
    assert report["commits"]["ref"].split("+")[0] == report["commits"]["working_tree"].split("+")[0]
    after = subprocess.run(
        ["git", "worktree", "list"], check=False, cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert after == before
