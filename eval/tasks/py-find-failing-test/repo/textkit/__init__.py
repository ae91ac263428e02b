"""Small text helpers."""
from textkit.case import snake_case
from textkit.slug import slugify
from textkit.wrap import fill, wrap

__all__ = ["fill", "slugify", "snake_case", "wrap"]
