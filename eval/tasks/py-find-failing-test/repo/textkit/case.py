"""Identifier case conversion."""


def snake_case(name):
    """'parseHttpResponse' -> 'parse_http_response'; snake_case names stay as they are."""
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i > 0 and name[i - 1] != "_":
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
