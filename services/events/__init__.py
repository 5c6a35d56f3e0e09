"""The events service: recognition ceremonies and the public honour roll."""
