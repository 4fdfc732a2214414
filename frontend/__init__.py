"""The static dashboard, served by the FastAPI app."""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
