"""A small calculator module."""


def add(a, b):
    return a + b
