import unittest

from textkit import wrap


class WrapHiddenTest(unittest.TestCase):
    def test_never_longer_than_width(self):
        text = "the quick brown fox jumps over the lazy dog again and again"
        for width in range(3, 30):
            for line in wrap(text, width):
                if " " in line:
                    self.assertLessEqual(len(line), width, (width, line))

    def test_exact_fit_and_long_words(self):
        self.assertEqual(wrap("ab cd", 5), ["ab cd"])
        self.assertEqual(wrap("ab cd", 4), ["ab", "cd"])
        self.assertEqual(wrap("abcdefgh ij", 4), ["abcdefgh", "ij"])
        self.assertEqual(wrap("", 4), [])

    def test_bad_width(self):
        with self.assertRaises(ValueError):
            wrap("x", 0)
