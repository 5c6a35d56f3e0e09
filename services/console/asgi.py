"""The ASGI entry point that granian serves: `services.console.asgi:app`."""

from .app import create_app

app = create_app()
