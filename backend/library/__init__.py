"""The team library: models and accelerators a team defines once and names like presets (routes, service,
schemas)."""
