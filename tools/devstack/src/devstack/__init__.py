"""Local runtime for development and tests (not shipped with the services)."""
