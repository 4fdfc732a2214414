"""Celery workers: thin tasks that call the simulator and write through the backend's data layer."""
