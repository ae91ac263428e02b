"""What the customer pays."""

SHIPPING = 499
FREE_SHIPPING_FROM = 5000


def shipping(subtotal):
    """Shipping in cents for a subtotal."""
    return 0 if subtotal >= FREE_SHIPPING_FROM else SHIPPING


def total(cart):
    """Subtotal plus shipping, in cents."""
    subtotal = cart.subtotal()
    return subtotal + shipping(subtotal)
