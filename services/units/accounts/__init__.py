"""Accounts: created by an admin (or from the shell with `thidua create-account`)."""
