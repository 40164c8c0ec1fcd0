"""Views of the accounts room, one module per audience."""
