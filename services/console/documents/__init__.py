"""The awards service's documents (PDF), downloaded through the console with the user's token."""
