"""The documents a province signs, hands over and files: the decision with its annex, the certificates and
the council's ballot record, as PDF from templates an office can change (shared/documents.py)."""
