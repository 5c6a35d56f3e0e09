"""The ASGI entry point that granian serves: `services.awards.asgi:app`."""

from .app import create_app

app = create_app()
