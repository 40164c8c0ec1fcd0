"""Views of the recruitment room, one module per audience."""
