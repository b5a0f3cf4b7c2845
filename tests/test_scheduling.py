"""A worker that crashes fails its test and the run goes on to its end (tests/scheduling.py).

Each case runs a small suite in a pytest of its own, on two xdist workers with the
suite's scheduler, and must end within a minute: under xdist 3.8's own LoadScope
scheduler both hung for good.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CONFTEST = """
    def pytest_xdist_make_scheduler(config, log):
        from tests.scheduling import make_scheduler
        return make_scheduler(config, log)
"""


def run_suite(folder: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (folder / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-q"]
    command += ["-o", "addopts=", "--rootdir", str(folder), str(folder)]
    try:
        return subprocess.run(
            command,
            check=False,
            cwd=folder,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired as hung:
        pytest.fail(f"the run hung after a crash:\n{hung.stdout}")


MANY_QUICK_TESTS = "".join(f"def test_quick_{n}(): pass\n" for n in range(30))


def test_a_crash_after_many_finished_tests_fails_one_test_and_the_run_ends(tmp_path):
    result = run_suite(
        tmp_path,
        {
            "test_a.py": MANY_QUICK_TESTS,
            "test_b.py": """
                import os
                def test_crashes(): os._exit(1)
            """,
            "test_c.py": MANY_QUICK_TESTS,
        },
    )
    assert "1 failed, 60 passed" in result.stdout, result.stdout
    assert "crashed while running 'test_b.py::test_crashes'" in result.stdout, result.stdout


def test_a_crash_among_the_chromium_tests_runs_the_rest_of_them_once(tmp_path):
    result = run_suite(
        tmp_path,
        {
            "test_browser_x.py": """
                import os
                def test_one(): pass
                def test_crashes(): os._exit(1)
                def test_three(): pass
                def test_four(): pass
            """,
            "test_other.py": MANY_QUICK_TESTS,
        },
    )
    assert "1 failed, 33 passed" in result.stdout, result.stdout
