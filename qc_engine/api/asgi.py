"""The ASGI application uvicorn imports (one per worker process)."""

from qc_engine.api.main import create_app

app = create_app()
