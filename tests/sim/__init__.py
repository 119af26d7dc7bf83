"""Deterministic simulation of a hub and its tills (issue 5): see ``world``."""
