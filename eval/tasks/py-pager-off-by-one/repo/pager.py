"""Splitting a list of items into pages."""


def page_count(total, per_page):
    """Number of pages needed for `total` items (at least 1)."""
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    return max(1, -(-total // per_page))


def paginate(items, page, per_page=10):
    """The items on `page` (1-based); a page past the end is empty."""
    if page < 1:
        raise ValueError("page must be 1 or more")
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    start = page * per_page
    return items[start:start + per_page]
