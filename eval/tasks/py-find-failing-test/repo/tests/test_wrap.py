import unittest

from textkit import fill, wrap


class WrapTest(unittest.TestCase):
    def test_short_text(self):
        self.assertEqual(wrap("one two", 20), ["one two"])

    def test_lines_fill_up_to_width(self):
        self.assertEqual(wrap("aaa bbb ccc", 7), ["aaa bbb", "ccc"])

    def test_fill(self):
        self.assertEqual(fill("a b c", 3), "a b\nc")
