"""Discuss rounds: members' statements, their moderation, agree/disagree/pass votes, and the
opinion groups found in them (the maths is `charter.opinions`; this room stores and serves)."""
