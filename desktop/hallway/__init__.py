"""Hallway: serverless presence and office announcements for small offices."""

__version__ = "0.1.0"
