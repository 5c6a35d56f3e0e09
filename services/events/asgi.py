"""The ASGI entry point that granian serves: `services.events.asgi:app`."""

from .app import create_app
from .fast_path import ServeCachedRoll

app = ServeCachedRoll(create_app())
