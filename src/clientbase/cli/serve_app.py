"""The ASGI app uvicorn imports in each worker."""

from clientbase.app import create_app

app = create_app()
