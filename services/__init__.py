"""The three services: units, awards, events."""
