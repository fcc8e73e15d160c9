"""`make bench`: list, filter, search and deep-page latency over real HTTP.

Seeds SQLite and PostgreSQL databases with 10,000 and 100,000 tasks, serves the API with
uvicorn and times each scenario with a keep-alive client; writes docs/benchmarks.md.
"""
