"""The committee's review of a submitted nomination: votes, approval within the quota, rejection."""
