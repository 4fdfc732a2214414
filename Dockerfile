# One image for the API and the workers of a team deployment (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY alembic ./alembic
COPY backend ./backend
COPY workers ./workers
COPY simulator ./simulator
COPY frontend ./frontend
RUN pip install --no-cache-dir --editable .
# Reachable from outside the container, so sign-in is required (team mode; `dse serve` refuses otherwise).
ENV DSE_STATE_DIR=/app/var DSE_HOST=0.0.0.0 DSE_AUTH=required
EXPOSE 8000
CMD ["dse", "serve"]
