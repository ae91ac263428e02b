import unittest

from stats import median, mode


class StatsHiddenTest(unittest.TestCase):
    def test_median_even(self):
        self.assertEqual(median([4, 1, 3, 2]), 2.5)
        self.assertEqual(median([5, 5]), 5)

    def test_median_leaves_input_alone(self):
        data = [9, 2, 7]
        self.assertEqual(median(data), 7)
        self.assertEqual(data, [9, 2, 7])

    def test_mode_tie_smallest(self):
        self.assertEqual(mode([3, 1, 3, 1, 2]), 1)
        self.assertEqual(mode([7]), 7)
        self.assertEqual(mode([2.5, -1, 2.5]), 2.5)

    def test_empty(self):
        with self.assertRaises(ValueError):
            median([])
        with self.assertRaises(ValueError):
            mode([])
