#!/usr/bin/env python3
"""Checks SafeGridLedger's XLSX output with an independent reader (openpyxl).

    swift run safegrid-bench samples /tmp/ledger
    pip install openpyxl   # if missing
    python3 scripts/ledger-openpyxl-check.py /tmp/ledger/sample.xlsx [/tmp/big.xlsx ...]

Not part of `swift test` (it needs Python and openpyxl). Exits non-zero on the first mismatch.
"""
import datetime
import sys

import openpyxl


def check_sample(path):
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["企业", "汇总"], wb.sheetnames
    ws = wb["企业"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("名称", "统一社会信用代码", "房间数", "发现日期", "发现时间", "规上企业", "备注"), rows[0]
    assert rows[1][0] == "杭州东湖纺织有限公司"
    assert rows[1][2] == 12 and isinstance(rows[1][2], int), rows[1][2]
    assert rows[1][3] == datetime.datetime(2024, 10, 16), rows[1][3]
    assert rows[1][4] == datetime.datetime(2024, 10, 16, 9, 30), rows[1][4]
    assert rows[1][5] is True and rows[2][5] is False
    assert rows[1][6] == '=HYPERLINK("http://example.invalid","点我")', rows[1][6]
    assert ws["G2"].data_type == "s", ws["G2"].data_type          # text, not a formula
    assert ws["G2"].quotePrefix, "risky text has the quote-prefix style"
    assert rows[2][0] == '航坞五金店, "分店"' and rows[2][6] == "-5 元\n第二行", rows[2]
    assert rows[2][3] == datetime.datetime(1900, 3, 1), rows[2][3]
    assert rows[3][0] == "@某某" and rows[3][1] == "  前后空格  " and rows[3][2] == 13800000000, rows[3]
    assert rows[3][6] == "#N/A", rows[3][6]
    assert ws["D2"].number_format == "yyyy-mm-dd" and ws["E2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws.freeze_panes == "A2", ws.freeze_panes
    assert ws["A1"].font.b, "bold header"
    s = list(wb["汇总"].iter_rows(values_only=True))
    assert s == [("村(社区)", "隐患数", "整改率"), ("东湖村", 16241, 0.3399)], s
    print(f"{path}: openpyxl {openpyxl.__version__} reads every value with its type (dates as datetime, "
          f"numbers as int/float, booleans, Chinese text, quote-prefixed risky text)")


def check_any(path):
    wb = openpyxl.load_workbook(path, read_only=True)
    for ws in wb.worksheets:
        n = sum(1 for _ in ws.iter_rows(values_only=True))
        print(f"{path}: sheet {ws.title!r}: {n} rows")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        if p.endswith("sample.xlsx"):
            check_sample(p)
        else:
            check_any(p)
