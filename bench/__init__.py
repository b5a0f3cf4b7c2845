"""Load and fan-out benchmarks: `python -m bench.run` prints JSON (see bench/run.py)."""
