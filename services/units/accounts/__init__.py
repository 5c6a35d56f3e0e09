"""Accounts: created by an admin (or from the shell with `thidua create-account`); disabled, enabled,
changed and their passwords reset by an admin."""
