"""The campaign's council: who votes, recusals, the secret ballot, the pass mark at approval, the ballot's record."""
