"""Benchmarks: each writes one JSON under bench/results/ (scale, commit, machine, unit-suffixed metrics)."""
