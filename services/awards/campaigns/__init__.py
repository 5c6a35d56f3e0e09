"""Emulation campaigns ("phong trào thi đua") and their award categories."""
