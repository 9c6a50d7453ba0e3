"""稽核审计 audit: rule catalog in batch, risk events (issue #6) — this concern's assets, checks and jobs, merged into the code location."""

import dagster as dg

defs = dg.Definitions()
