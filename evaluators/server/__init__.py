"""The submission server (``perbench serve``): withheld test splits scored on upload.

Modules: app (FastAPI routes), jobs (benchmarks, bounded scoring queue), ledger (append-only
hash-chained record), teams (tokens, login limits), uploads (bounded form reading), pages (HTML).
"""
