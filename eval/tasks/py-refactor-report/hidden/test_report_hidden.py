import ast
import unittest

import report
from report import format_table


class ReportHiddenTest(unittest.TestCase):
    def test_format_table(self):
        self.assertEqual(
            format_table(["A", "Long header"], [["xyz", "1"], ["", "22"]]),
            "A    Long header\n---  -----------\nxyz  1\n     22",
        )
        self.assertEqual(format_table(["Only"], []), "Only\n----")

    def test_reports_use_it(self):
        tree = ast.parse(open(report.__file__).read())
        functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
        for name in ["sales_report", "stock_report", "staff_report"]:
            calls = [
                node.func.id
                for node in ast.walk(functions[name])
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            ]
            self.assertIn("format_table", calls, name)
            source = ast.unparse(functions[name])
            self.assertNotIn("ljust", source, name)
