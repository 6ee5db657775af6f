"""Benchmarks (`make bench` = `python -m bench`): throughput, API thrift, latency and scale
against the local sandboxes, each figure next to its lower bound or a naive baseline measured
in the same run."""
