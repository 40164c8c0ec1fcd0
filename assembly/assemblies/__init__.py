"""Assemblies: creating one, its overview and details, and its audit log."""
