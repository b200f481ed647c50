"""Benchmarks: each module has ``run() -> dict`` returning its figures; ``python -m bench``
runs them all and writes ``bench/REPORT.md``."""
