#!/usr/bin/env python3
"""Hostile files: upload malicious or broken ledgers to POST /api/v1/imports as a town admin.

Each file (random bytes, truncated ZIP and XLSX, a sheet reaching column XFD in 100,000 rows,
ZIP entries declaring or inflating to 1 GB, 100,000 nested XML elements, a billion-laughs
entity sheet, a CSV with one 100 MB line, and one just under the 64 MB limit) must be
answered with a 4xx within 30 s, the server's resident memory must stay under 1.5 GB, and the
server must still answer /healthz afterwards. Every file gets a fresh server process on the
same database, so each peak (VmHWM) is that file's alone. A sampler kills the server if its
resident memory passes a hard cap (3 GB by default), so that a failing case cannot take the
machine's memory. Prints per file: status, seconds, peak RSS. Exits 1 on any failure.
"""
import argparse
import io
import os
import random
import struct
import sys
import threading
import time
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
from common import http, log  # noqa: E402

MB = 1024 * 1024
GB = 1024 * MB

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/>'
                 '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                 '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                 '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                 '</Types>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
             '</Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                 '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                 '</Relationships>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = '</sheetData></worksheet>'
EMPTY_SST = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"></sst>')


def inline(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row():
    names = ["企业名称", "地址", "所属村社", "统一社会信用代码", "负责人", "联系电话"]
    cols = "ABCDEF"
    return '<row r="1">' + "".join(inline(f"{c}1", n) for c, n in zip(cols, names)) + "</row>"


def xlsx(sheet_xml, shared=EMPTY_SST):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/sharedStrings.xml", shared)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return buf.getvalue()


def valid_xlsx(rows=200):
    body = header_row() + "".join(
        f'<row r="{r}">' + inline(f"A{r}", f"测试企业{r}") + inline(f"B{r}", f"瓜沥镇测试路{r}号") + "</row>"
        for r in range(2, rows + 2))
    return xlsx(SHEET_HEAD + body + SHEET_TAIL)


def xfd_sheet(rows=100_000, numbered=False):
    """Every row reaches the last column (XFD = 16,384): a reader that makes each row as wide as
    its last cell holds 100,000 × 16,384 cells. Unnumbered, the rows are identical
    (`<row><c r="XFD1">…`) and the file is about 10 KB; numbered (`<row r="N"><c r="XFDN">`) about 500 KB."""
    if numbered:
        body = "".join(f'<row r="{r}"><c r="XFD{r}"><v>1</v></c></row>' for r in range(1, rows + 1))
    else:
        body = '<row><c r="XFD1"><v>1</v></c></row>' * rows
    return xlsx(SHEET_HEAD + body + SHEET_TAIL)


def wide_sheet(column="IV", rows=100_000):
    """Rows reaching the widest column a ledger may use (IV = 256) under a header: 25.6 million
    cells for a reader that makes every row as wide as its last cell."""
    body = header_row() + f'<row><c r="{column}2"><v>1</v></c></row>' * rows
    return xlsx(SHEET_HEAD + body + SHEET_TAIL)


def late_xfd_sheet(rows=100_000):
    """Plain rows, and one cell in column XFD at the very end."""
    body = header_row() + '<row><c r="A2" t="inlineStr"><is><t>测试企业</t></is></c></row>' * rows
    body += f'<row r="{rows + 2}"><c r="XFD{rows + 2}"><v>1</v></c></row>'
    return xlsx(SHEET_HEAD + body + SHEET_TAIL)


def billion_laughs_raw():
    ents = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "' + f"&lol{i - 1 if i > 1 else ''};" * 10 + '">' for i in range(1, 10)]
    return ('<?xml version="1.0"?><!DOCTYPE lolz [' + "".join(ents) + ']><lolz>&lol9;</lolz>').encode()


def deep_xml(depth=100_000):
    return xlsx(SHEET_HEAD + "<row r=\"1\">" + "<c>" * depth + "</c>" * depth + "</row>" + SHEET_TAIL)


def billion_laughs():
    ents = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "' + f"&lol{i - 1 if i > 1 else ''};" * 10 + '">' for i in range(1, 10)]
    doctype = "<!DOCTYPE lolz [" + "".join(ents) + "]>"
    sheet = ('<?xml version="1.0" encoding="UTF-8"?>' + doctype +
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
             header_row() + '<row r="2">' + inline("A2", "&lol9;") + '</row>' + SHEET_TAIL)
    shared = ('<?xml version="1.0" encoding="UTF-8"?>' + doctype +
              '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
              '<si><t>&lol9;</t></si></sst>')
    return xlsx(sheet, shared)


def zip_declaring(size=GB):
    """A valid XLSX whose sheet entry declares `size` bytes uncompressed (local header and
    central directory) while its data inflates to a few hundred bytes."""
    data = valid_xlsx(3)
    name = b"xl/worksheets/sheet1.xml"
    out = bytearray(data)
    # Local file header: signature, ..., uncompressed size at +22, name length at +26.
    i = out.find(b"PK\x03\x04" + b"")
    while i != -1:
        nlen = struct.unpack_from("<H", out, i + 26)[0]
        if out[i + 30:i + 30 + nlen] == name:
            struct.pack_into("<I", out, i + 22, size)
        i = out.find(b"PK\x03\x04", i + 4)
    # Central directory header: uncompressed size at +24, name length at +28, name at +46.
    i = out.find(b"PK\x01\x02")
    while i != -1:
        nlen = struct.unpack_from("<H", out, i + 28)[0]
        if out[i + 46:i + 46 + nlen] == name:
            struct.pack_into("<I", out, i + 24, size)
        i = out.find(b"PK\x01\x02", i + 4)
    return bytes(out)


def zip_bomb(size=GB):
    """A real XLSX whose sheet inflates to `size` bytes (a worksheet padded with spaces), about 1 MB on the wire."""
    head = (SHEET_HEAD + header_row()).encode()
    tail = SHEET_TAIL.encode()
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = zlib.crc32(head)
    parts = [co.compress(head)]
    chunk = b" " * MB
    pad = size - len(head) - len(tail)
    done = 0
    while done < pad:
        n = min(MB, pad - done)
        c = chunk if n == MB else b" " * n
        crc = zlib.crc32(c, crc)
        parts.append(co.compress(c))
        done += n
    crc = zlib.crc32(tail, crc)
    parts.append(co.compress(tail))
    parts.append(co.flush())
    compressed = b"".join(parts)
    # Assemble the archive by hand (zipfile would inflate nothing but needs the data in memory).
    entries = [("[Content_Types].xml", CONTENT_TYPES.encode()), ("_rels/.rels", ROOT_RELS.encode()),
               ("xl/workbook.xml", WORKBOOK.encode()), ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.encode()),
               ("xl/sharedStrings.xml", EMPTY_SST.encode())]
    out = bytearray()
    central = bytearray()

    def add(name, raw_crc, raw_size, payload):
        nb = name.encode()
        offset = len(out)
        out.extend(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, raw_crc, len(payload), raw_size, len(nb), 0))
        out.extend(nb)
        out.extend(payload)
        central.extend(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, raw_crc, len(payload), raw_size,
                                   len(nb), 0, 0, 0, 0, 0, offset))
        central.extend(nb)

    for name, raw in entries:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        add(name, zlib.crc32(raw), len(raw), c.compress(raw) + c.flush())
    add("xl/worksheets/sheet1.xml", crc & 0xFFFFFFFF, size & 0xFFFFFFFF, compressed)
    cd_offset = len(out)
    out.extend(central)
    out.extend(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 6, 6, len(central), cd_offset, 0))
    return bytes(out)


def truncated(data, fraction):
    return data[:int(len(data) * fraction)]


def plain_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(20):
            z.writestr(f"file{i}.txt", ("企业名称,地址\n" + "测试,瓜沥\n" * 2000))
    return buf.getvalue()


def long_line_csv(size):
    """A CSV whose header row is one line of `size` bytes (no newline anywhere)."""
    return ("企业名称,地址," + "A" * (size - 30)).encode()[:size]


CASES = [
    ("random-bytes-1MB", lambda: random.Random(1).randbytes(MB)),
    ("random-bytes-PK-header", lambda: b"PK\x03\x04" + random.Random(2).randbytes(256 * 1024)),
    ("truncated-zip", lambda: truncated(plain_zip(), 0.6)),
    ("truncated-xlsx-half", lambda: truncated(valid_xlsx(), 0.5)),
    ("truncated-xlsx-no-central-directory", lambda: truncated(valid_xlsx(), 0.97)),
    ("xlsx-xfd-100000-rows", xfd_sheet),
    ("xlsx-xfd-100000-numbered-rows", lambda: xfd_sheet(numbered=True)),
    ("zip-entry-declares-1GB", zip_declaring),
    ("zip-entry-inflates-to-1GB", zip_bomb),
    ("xlsx-iv-100000-rows", wide_sheet),
    ("xlsx-xfd-after-100000-rows", late_xfd_sheet),
    ("xml-nested-100000", deep_xml),
    ("xml-nested-100000-raw-body", lambda: ("<a>" * 100_000 + "</a>" * 100_000).encode()),
    ("xml-billion-laughs", billion_laughs),
    ("xml-billion-laughs-raw-body", billion_laughs_raw),
    ("csv-one-100MB-line", lambda: long_line_csv(100 * MB)),
    ("csv-one-60MB-line", lambda: long_line_csv(60 * MB)),
]


class Sampler(threading.Thread):
    """Samples the server's VmRSS every 20 ms; kills it above `cap` bytes."""

    def __init__(self, server, cap):
        super().__init__(daemon=True)
        self.server, self.cap = server, cap
        self.peak = 0
        self.capped = False
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            rss, hwm = self.server.memory()
            if rss is None:
                return
            self.peak = max(self.peak, rss, hwm or 0)
            if rss > self.cap:
                self.capped = True
                self.server.kill()
                return
            time.sleep(0.02)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--template", help="demo SQLite file to copy (default: build one)")
    ap.add_argument("--limit-seconds", type=float, default=30)
    ap.add_argument("--limit-rss", type=float, default=1.5 * GB)
    ap.add_argument("--cap-rss", type=float, default=3 * GB, help="kill the server above this (protects the machine)")
    ap.add_argument("--only", help="comma-separated case names")
    args = ap.parse_args()
    common.require_binary()
    started = time.time()
    work = common.workdir("files")
    db = common.demo_db(work, args.template)
    cases = [c for c in CASES if not args.only or c[0] in args.only.split(",")]
    results = []
    failures = []
    token = None
    for name, make in cases:
        t0 = time.time()
        data = make()
        made = time.time() - t0
        server = common.Server(db, extra_env={"SAFEGRID_SMS_SENDER": "off"})
        server.start()
        if token is None:
            token = server.token("guali.admin")
        _, base_hwm = server.memory()
        sampler = Sampler(server, args.cap_rss)
        sampler.start()
        status, detail = None, ""
        t0 = time.time()
        try:
            status, _, answer = http("POST", server.base + "/api/v1/imports?kind=subjects&dryRun=true&fileName=" + name,
                                     data, {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
                                     timeout=args.limit_seconds)
            detail = answer[:160].decode("utf-8", "replace").replace("\n", " ")
        except OSError as e:
            detail = f"{type(e).__name__}: {e}"
        seconds = time.time() - t0
        # Whatever the answer, the process must be alive and healthy now.
        healthy = False
        if server.alive():
            try:
                healthy = http("GET", server.base + "/healthz", timeout=10)[0] == 200
            except OSError:
                healthy = False
        sampler.halt.set()
        sampler.join(timeout=5)
        rss, hwm = server.memory()
        peak = max(sampler.peak, hwm or 0)
        died = not server.alive()
        exit_code = server.proc.poll()
        server.kill() if sampler.capped or not healthy else server.stop()
        problems = []
        if status is None or not 400 <= status < 500:
            problems.append(f"status {status} (wanted 4xx)")
        if seconds > args.limit_seconds:
            problems.append(f"{seconds:.1f} s (limit {args.limit_seconds:.0f} s)")
        if peak > args.limit_rss:
            problems.append(f"peak RSS {peak / MB:.0f} MB (limit {args.limit_rss / MB:.0f} MB)")
        if sampler.capped:
            problems.append(f"killed by the suite at RSS > {args.cap_rss / MB:.0f} MB")
        elif died:
            problems.append(f"server died (exit {exit_code})")
        elif not healthy:
            problems.append("/healthz did not answer 200 afterwards")
        results.append((name, len(data), status, seconds, peak, base_hwm, problems, detail))
        log(f"  {'ok  ' if not problems else 'FAIL'} {name:38s} {len(data) / 1024:10.0f} KB  status {status!s:4s} "
            f"{seconds:6.2f} s  peak RSS {peak / MB:7.0f} MB (at start {(base_hwm or 0) / MB:.0f} MB)"
            + ("" if not problems else "  — " + "; ".join(problems))
            + f"  [{detail[:100]}]" + (f" (made in {made:.1f} s)" if made > 2 else ""))
        if problems:
            failures.append((name, problems))
    log(f"hostile files: {len(results)} files, {len(results) - len(failures)} passed, {len(failures)} failed; "
        f"worst peak RSS {max(r[4] for r in results) / MB:.0f} MB, slowest {max(r[3] for r in results):.1f} s, "
        f"{time.time() - started:.0f} s")
    for name, problems in failures:
        log(f"  FAIL {name}: {'; '.join(problems)}")
    common.finish(failures, work, f"  server log: {work}/server.log")


if __name__ == "__main__":
    main()
