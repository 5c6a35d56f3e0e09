"""Tokens: signing in for an access and a refresh token, refreshing, signing out, one's own password,
and the keys that verify tokens."""
