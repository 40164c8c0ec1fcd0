"""Views of the invitations room, one module per audience."""
