"""Trygg hemgång operations console."""
