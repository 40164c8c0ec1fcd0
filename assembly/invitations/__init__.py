"""Invitations: single-use links and codes, the letters, and a member's first visit."""
