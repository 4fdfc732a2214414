"""FastAPI service, settings, data layer and CLI of Transformer DSE."""
