"""Views of the privacy room, one module per audience."""
