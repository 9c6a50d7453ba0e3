"""Source systems (simulated core system and partner feeds) and their ingestion into bronze."""
