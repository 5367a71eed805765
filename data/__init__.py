"""Data layer: models, sessions, site scope, and the domain services (no Dash, no Flask requests)."""
