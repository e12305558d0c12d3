"""Benchmarks: a deterministic synthetic corpus, and the engines it is measured on."""
