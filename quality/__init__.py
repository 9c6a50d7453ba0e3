"""Data-quality governance: five-dimension rules, scores, reports, remediation (issue #4)."""
