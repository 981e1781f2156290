"""Turning neutral replies and cards into each platform's text. Pure functions, no I/O."""
