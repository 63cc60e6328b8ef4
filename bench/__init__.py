"""Benchmarks that print figures (`make bench`). Not timed tests: nothing here passes or fails."""
