"""The sync engine (issue: sync engine). Only its pure building blocks exist so far."""
