"""Draft rounds: principles written by officers as facilitators, members' comments and
amendments, the versions each accepted change makes, and dissent notes."""
