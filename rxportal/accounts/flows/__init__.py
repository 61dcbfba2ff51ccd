"""Journeys of several steps, one module each (STYLE §10); the views are thin over them."""
