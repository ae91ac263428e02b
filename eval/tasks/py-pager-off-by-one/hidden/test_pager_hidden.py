import unittest

from pager import paginate


class PagerHiddenTest(unittest.TestCase):
    def test_every_page(self):
        items = list(range(25))
        self.assertEqual(paginate(items, 2), list(range(10, 20)))
        self.assertEqual(paginate(items, 3), [20, 21, 22, 23, 24])
        self.assertEqual(paginate(items, 4), [])

    def test_other_sizes(self):
        self.assertEqual(paginate(list("abcdefg"), 2, per_page=3), ["d", "e", "f"])
        self.assertEqual(paginate(list("abcdefg"), 3, per_page=3), ["g"])

    def test_bad_input(self):
        with self.assertRaises(ValueError):
            paginate([1, 2], 0)
        with self.assertRaises(ValueError):
            paginate([1, 2], 1, per_page=0)
