"""Directives: a committee's programme carrying out a higher resolution, what its units report, and its figures."""
