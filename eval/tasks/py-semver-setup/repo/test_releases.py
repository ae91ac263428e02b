import unittest

from releases import bump, latest


class ReleasesTest(unittest.TestCase):
    def test_latest(self):
        self.assertEqual(latest(["v1.2.3", "v1.10.0", "v1.9.9"]), "v1.10.0")

    def test_bump(self):
        self.assertEqual(bump("v1.4.2", "minor"), "1.5.0")
