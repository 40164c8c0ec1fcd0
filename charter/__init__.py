"""Tallies, opinion analysis and publishing of the charter; pure logic plus renderers."""
