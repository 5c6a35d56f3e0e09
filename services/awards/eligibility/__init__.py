"""Eligibility: a nomination's checks against its category's rules, and what a revocation puts before the committee."""
