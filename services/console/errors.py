"""What a console page refuses, said without HTTP: `pages.py` answers each with its page or redirect."""

from __future__ import annotations


class SignInRequired(Exception):
    """No session (or it just ended): the browser goes to `/login`, and back to `next` after."""

    def __init__(self, next_path: str | None = None, *, reason: str | None = None) -> None:
        super().__init__("sign in required")
        self.next_path = next_path
        self.reason = reason  # "ended" or "locked": what the sign-in page says


class PageForbidden(Exception):
    """The user's role may not use this page or action (403 page)."""


class CsrfRefused(Exception):
    """A form that changes something came without this session's token (403 page; nothing changed)."""
