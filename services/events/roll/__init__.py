"""The public honour roll: a read model of the awards' events, its search, its cache and its page."""
