"""The selection algorithms behind `sortition.select.find_distribution`.

Every algorithm works on respondent *types* (people who are interchangeable for the quotas, see
`types`), prices integral panels with an integer program (`panels`), and returns type-level panels
that `expand` turns back into panels of people with exact, equal chances within each type.
"""
