"""The unit tree: create, import, list and search, rename and move."""
