import unittest

from shop.cart import Cart
from shop.checkout import total
from shop.discounts import discount


def cart_with(*items, code=None):
    cart = Cart()
    for sku, qty in items:
        cart.add(sku, qty)
    if code:
        cart.apply_code(code)
    return cart


class DiscountHiddenTest(unittest.TestCase):
    def test_discount_amounts(self):
        self.assertEqual(discount("SAVE10", 1999), 199)
        self.assertEqual(discount("FIVER", 2000), 500)
        self.assertEqual(discount("FIVER", 1999), 0)
        self.assertEqual(discount("FREESHIP", 3000), 0)

    def test_codes_on_the_cart(self):
        cart = Cart()
        self.assertIsNone(cart.code)
        cart.apply_code("FIVER")
        cart.apply_code("SAVE10")
        self.assertEqual(cart.code, "SAVE10")
        with self.assertRaises(ValueError):
            cart.apply_code("BOGUS")
        self.assertEqual(cart.code, "SAVE10")

    def test_totals(self):
        self.assertEqual(total(cart_with(("notebook", 5), code="FIVER")), 2250 - 500 + 499)
        self.assertEqual(total(cart_with(("pen", 3), code="FIVER")), 450 + 499)
        self.assertEqual(total(cart_with(("pen", 1), code="FREESHIP")), 150)
        # Free shipping is decided before the discount.
        self.assertEqual(total(cart_with(("lamp", 2), code="SAVE10")), 4500)
        self.assertEqual(total(cart_with(("backpack", 1), ("pen", 1))), 4149 + 499)
