import unittest

from textkit import snake_case


class CaseTest(unittest.TestCase):
    def test_snake_case(self):
        self.assertEqual(snake_case("parseHttpResponse"), "parse_http_response")
        self.assertEqual(snake_case("already_snake"), "already_snake")
        self.assertEqual(snake_case("Name"), "name")
