"""个人信息保护 privacy: classification, masked analyst edition (issue #5) — this concern's assets, checks and jobs, merged into the code location."""

import dagster as dg

defs = dg.Definitions()
