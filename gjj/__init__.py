"""The platform's way in: settings and the `gjj` command line."""

import os

# polars' bundled jemalloc keeps the pages a step freed (1.8 GiB after loading the partner feeds at scale 1.0, held
# through the whole dbt build that follows in the same Dagster run). Returning them after a second, from a background
# thread, costs little (the feed load: 24.3 s vs 22.5 s) and keeps a run within its memory budget (ADR 0006). Read by
# jemalloc when polars first allocates, so it is set before anything imports polars; an operator's value wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0")
