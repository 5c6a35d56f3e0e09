"""Nominations: submitted by unit officers for a collective or a person, withdrawn, listed, and their history."""
