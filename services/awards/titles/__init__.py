"""Past titles and awards imported from an office's files, the history eligibility rules are checked against."""
