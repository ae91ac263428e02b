import unittest

from report import sales_report, staff_report, stock_report


class ReportTest(unittest.TestCase):
    def test_sales(self):
        self.assertEqual(
            sales_report([("North", 12, 1500.5), ("South-East", 3, 99.0)]),
            "Region      Units  Revenue\n"
            "----------  -----  -------\n"
            "North       12     1500.50\n"
            "South-East  3      99.00",
        )

    def test_stock(self):
        self.assertEqual(
            stock_report([("A-1", "Bolt", 250)]),
            "SKU  Name  Count\n---  ----  -----\nA-1  Bolt  250",
        )

    def test_staff(self):
        self.assertEqual(
            staff_report([("Ada", "Core"), ("Grace", "Compilers")]),
            "Name   Team\n-----  ---------\nAda    Core\nGrace  Compilers",
        )
