"""The committee's numbered decisions, which grant approved nominations as awards."""
