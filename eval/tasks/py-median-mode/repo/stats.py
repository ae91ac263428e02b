"""Descriptive statistics for lists of numbers."""


def mean(values):
    """The arithmetic mean; ValueError on empty data."""
    if not values:
        raise ValueError("mean of empty data")
    return sum(values) / len(values)
