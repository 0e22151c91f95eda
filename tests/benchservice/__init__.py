"""Benchmark of ``foiwatch run``: memory and throughput of the service over many scheduled crawls."""
