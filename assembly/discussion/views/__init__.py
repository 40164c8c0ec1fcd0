"""Views of discuss rounds, by audience."""
