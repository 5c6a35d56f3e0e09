"""The ASGI entry point that granian serves: `services.events.asgi:app`."""

from .app import create_app

app = create_app()
