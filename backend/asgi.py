"""ASGI entry point for running the API alone (`uvicorn backend.asgi:app`), configured from DSE_* variables."""

from backend.app import create_app

app = create_app()
