"""Configuration, dependencies, snapshot access and error handling of the serving API."""
