"""Tools for developers, shared by the tests, the benchmarks and ``comptoir demo``: child
``comptoir`` processes (:mod:`.processes`) and throwaway PostgreSQL clusters
(:mod:`.pgcluster`). Nothing here is imported by the application itself, and nothing here
configures Django: the processes it starts do, each from its own home."""
