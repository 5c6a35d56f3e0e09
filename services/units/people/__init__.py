"""The people of the units: added and corrected by an admin, or by an officer inside its subtree."""
