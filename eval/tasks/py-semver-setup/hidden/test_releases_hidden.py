import unittest

import semver

from releases import bump, latest


class ReleasesHiddenTest(unittest.TestCase):
    def test_uses_the_package(self):
        self.assertTrue(hasattr(semver, "Version"))

    def test_prereleases_and_junk(self):
        tags = ["v2.0.0-rc.1", "1.9.0", "nightly", "v1.10.0-beta", "v1.9.1"]
        self.assertEqual(latest(tags), "v1.9.1")
        self.assertEqual(latest(tags, include_prerelease=True), "v2.0.0-rc.1")
        self.assertEqual(latest(["2.0.0-rc.1", "2.0.0"], include_prerelease=True), "2.0.0")
        self.assertIsNone(latest([]))
        self.assertIsNone(latest(["latest", "v1.0"]))

    def test_bump_parts(self):
        self.assertEqual(bump("1.4.2", "major"), "2.0.0")
        self.assertEqual(bump("v1.4.2", "patch"), "1.4.3")
        with self.assertRaises(ValueError):
            bump("1.4.2", "build")
