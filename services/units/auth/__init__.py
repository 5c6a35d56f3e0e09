"""Tokens: a username and password exchanged for a signed token, and the keys that verify it."""
