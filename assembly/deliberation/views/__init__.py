"""Views of the deliberation room, one module per audience."""
