"""The ASGI entry point that granian serves: `services.units.asgi:app`."""

from .app import create_app

app = create_app()
