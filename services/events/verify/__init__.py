"""Public verification of a certificate by its code: `GET /verify/{code}` (a page, or JSON)."""
