"""数据质量 quality: rule checks, scores, report, remediation (issue #4) — this concern's assets, checks and jobs, merged into the code location."""

import dagster as dg

defs = dg.Definitions()
