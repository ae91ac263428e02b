import unittest

from shop.cart import Cart
from shop.checkout import total


class CheckoutTest(unittest.TestCase):
    def test_plain_total(self):
        cart = Cart()
        cart.add("pen", 2)
        self.assertEqual(total(cart), 300 + 499)

    def test_save10(self):
        cart = Cart()
        cart.add("lamp")
        cart.apply_code("SAVE10")
        self.assertEqual(total(cart), 2500 - 250 + 499)
