import unittest

from textstats import average_word_length, longest_word, word_count


class TextStatsTest(unittest.TestCase):
    def test_counts(self):
        self.assertEqual(word_count("to be or not"), 4)
        self.assertEqual(longest_word("to be or not"), "not")

    def test_average(self):
        self.assertEqual(average_word_length("ab abcd"), 3.0)

    def test_empty(self):
        self.assertEqual(average_word_length(""), 0.0)
