"""Benchmarks: scripts that print figures, run with `make bench` (python -m benchmarks)."""
