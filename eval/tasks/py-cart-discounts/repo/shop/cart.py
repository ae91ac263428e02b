"""A shopping cart."""
from shop.catalog import price


class Cart:
    def __init__(self):
        self.lines = {}

    def add(self, sku, quantity=1):
        """Adds `quantity` of `sku` (a known product)."""
        if quantity < 1:
            raise ValueError("quantity must be at least 1")
        price(sku)
        self.lines[sku] = self.lines.get(sku, 0) + quantity

    def subtotal(self):
        """The price of everything in the cart, in cents."""
        return sum(price(sku) * qty for sku, qty in self.lines.items())
