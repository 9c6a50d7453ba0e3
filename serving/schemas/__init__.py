"""Response schemas: the only shapes that leave the API (field descriptions show in /docs)."""
