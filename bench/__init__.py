"""Benchmark harness: loads demo customers into a fresh database, serves them with the real
server and measures it with concurrent HTTP clients. `python -m bench.run --help`."""
