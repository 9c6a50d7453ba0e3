"""The platform's way in: settings and the `gjj` command line."""
