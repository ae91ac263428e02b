import unittest

from textstats import average_word_length, longest_word


class TextStatsHiddenTest(unittest.TestCase):
    def test_whitespace_only(self):
        self.assertEqual(average_word_length("  \n\t "), 0.0)
        self.assertIsInstance(average_word_length("   "), float)

    def test_still_averages(self):
        self.assertAlmostEqual(average_word_length("a bb ccc"), 2.0)
        self.assertAlmostEqual(average_word_length(" one  three "), 4.0)

    def test_longest(self):
        self.assertIsNone(longest_word(""))
        self.assertEqual(longest_word("aa bb c"), "aa")
