"""Deliberation: the programme of rounds (learn, discuss, draft, vote), the meetings, and the
member's home that shows what is open now."""
