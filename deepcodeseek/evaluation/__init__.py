"""Benchmarks, metrics and evaluation reports."""
