"""The ASGI entry point that granian serves: `services.events.asgi:app`, the
app behind the fast path that answers cached reads of the roll."""

from .app import create_app
from .roll.fast_path import ServeCachedRoll

app = ServeCachedRoll(create_app())
