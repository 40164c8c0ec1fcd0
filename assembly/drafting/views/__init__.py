"""Views of draft rounds, by audience."""
