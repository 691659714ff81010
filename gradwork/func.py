"""Function transforms (to be written)."""
