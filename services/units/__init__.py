"""The units service: the unit tree, people, accounts and tokens."""
