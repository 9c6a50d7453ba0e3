"""Definitions per concern, each wiring functions that live in their own folder."""
