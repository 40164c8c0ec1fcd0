"""Recruitment: the pool of respondents and the quotas it is selected against."""
