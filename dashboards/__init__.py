"""数字大屏 big screens: Superset assets as YAML (assets/), validated against the published snapshot and
imported into a Superset server of its own environment (`make superset`, `gjj dashboards deploy`)."""
