"""Views of the selection room, one module per audience."""
