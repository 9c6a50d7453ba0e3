"""One APIRouter per resource, mounted under /v1 (health at the root)."""
