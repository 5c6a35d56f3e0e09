"""A nomination's dossier in the console: its files listed, downloaded through the console, uploaded, removed."""
