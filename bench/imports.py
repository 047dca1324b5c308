#!/usr/bin/env python
"""The imports benchmark (issue 13 §6): the largest workbook the caps accept, parsed once.

    make bench-imports        # or: DEBUG=1 .venv/bin/python bench/imports.py

A 145 KB workbook whose shared strings unzipped to 56 MB once took 51 s and grew a worker to
445 MB. The caps of campaigns/services/xlsx_guard.py refuse such files before openpyxl sees
them; this script builds the largest file they still accept — just under every cap at once —
and measures what reading it costs, against the target: **under 5 s and 150 MB**.

The largest accepted file (a checklist, as an office could send it):

- 2,000 task rows (the most an import takes) under the template's header, each row as wide
  as the cell cap allows (MAX_CELLS over 2,001 rows: the 11 template columns and numbers
  after them), and the sheet has no <dimension> element, so openpyxl reads it through twice
  (once only to size it);
- as many distinct shared strings as allowed (MAX_SHARED_STRINGS), long enough to fill the
  shared-strings part to just under its size cap, the rows citing them;
- a styles part bloated with cell formats to just under the cap for other XML parts;
- all of it under the total unzipped cap and the upload size limit.

Also measured: the incident's file (3.3 million shared strings, 56 MB unzipped), files one
string over the shared-string cap and one cell over the cell cap (the most the guard reads
before refusing), and one far cell (XFD1048576).

Each file is read by `xlsx_read.read_workbook` — the guard, openpyxl, the rows — in a fresh
Python process with Django loaded (a worker, before the upload): wall and CPU time of three
runs (medians; this machine is shared, and wall time stretches with the others' load), the
process's peak RSS (getrusage; it includes Django, openpyxl and lxml, ~75 MB) and its growth
over the process before reading, and in a separate run the Python heap's peak
(tracemalloc, which slows Python down, so it is not timed). The figures go to stdout and to a
section of bench/RESULTS.md.
"""

import io
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ledger.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

import run as bench  # noqa: E402  (bench/run.py: the marker RESULTS.md keeps)
from django.conf import settings  # noqa: E402

from campaigns.services import xlsx_guard as caps  # noqa: E402
from campaigns.services.checklist_import import LAYOUT  # noqa: E402
from campaigns.services.xlsx_read import read_workbook  # noqa: E402

VAR = ROOT / "bench" / "var" / "imports"
SECTION = "## Imports (issue 13)"
TARGET_SECONDS = 5.0
TARGET_MB = 150
RUNS = 3
MB = 1024 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = [str(column.label) for column in LAYOUT.columns]


# --- building workbooks by hand: openpyxl cannot write shared strings or leave out <dimension> ---


def column_letters(number):
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def workbook(sheet_rows, strings=None, styles=None, extra_parts=()):
    """An .xlsx from its parts: `sheet_rows` yields <row> elements; `strings` yields shared strings."""
    overrides = [
        ("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
        ("/xl/worksheets/sheet1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"),
    ]
    rels = [("rId1", "worksheet", "worksheets/sheet1.xml")]
    if strings is not None:
        overrides.append(
            ("/xl/sharedStrings.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml")
        )
        rels.append(("rId2", "sharedStrings", "sharedStrings.xml"))
    if styles is not None:
        overrides.append(("/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"))
        rels.append(("rId3", "styles", "styles.xml"))
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides)
            + "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{office}"><sheets>'
            '<sheet name="任务清单" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{package}">'
            + "".join(f'<Relationship Id="{i}" Type="{office}/{t}" Target="{target}"/>' for i, t, target in rels)
            + "</Relationships>",
        )
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            for row in sheet_rows:
                part.write(row.encode())
            part.write(b"</sheetData></worksheet>")
        if strings is not None:
            with archive.open("xl/sharedStrings.xml", "w") as part:
                part.write(f'<sst xmlns="{MAIN}">'.encode())
                for text in strings:
                    part.write(f"<si><t>{text}</t></si>".encode())
                part.write(b"</sst>")
        if styles is not None:
            archive.writestr("xl/styles.xml", styles)
        for name, body in extra_parts:
            archive.writestr(name, body)
    return out.getvalue()


def inline(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def shared(ref, index):
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'


def number(ref, value):
    return f'<c r="{ref}"><v>{value}</v></c>'


def styles_of(size):
    """A valid stylesheet bloated with cell formats to about `size` bytes (old office workbooks are)."""
    xf = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"/>'
    head = (
        f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    )
    tail = '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    count = (size - len(head) - len(tail) - 40) // len(xf)
    return head + f'<cellXfs count="{count}">' + xf * count + tail


def largest_accepted():
    rows = settings.IMPORT_MAX_ROWS
    per_row = caps.MAX_CELLS // (rows + 1)  # the header row is as wide
    strings = caps.MAX_SHARED_STRINGS
    # Strings as long as fits the part's cap: "<si><t>…</t></si>" around each, the <sst> around all.
    room = (caps.MAX_SHARED_STRINGS_BYTES - 200) // strings - len("<si><t></t></si>")
    filler = "主次干道路面平整垃圾收集容器配齐门前三包落实到位"

    def text(i):
        label = f"第{i}条"
        body = filler * 3
        while len((label + body).encode()) > room:
            body = body[:-1]
        return label + body

    def sheet():
        yield (
            '<row r="1">'
            + "".join(inline(f"{column_letters(c)}1", h) for c, h in enumerate(HEADER, 1))
            + "".join(number(f"{column_letters(c)}1", c) for c in range(len(HEADER) + 1, per_row + 1))
            + "</row>"
        )
        for r in range(2, rows + 2):
            base = (r * 5) % (strings - 5)
            cells = [
                shared(f"A{r}", base),
                inline(f"B{r}", f"3.{r}"),
                shared(f"C{r}", base + 1),
                number(f"D{r}", 5),
                shared(f"E{r}", base + 2),
                shared(f"F{r}", base + 3),
                shared(f"G{r}", base + 4),
                number(f"H{r}", 46387),
                inline(f"I{r}", "推进中"),
                number(f"J{r}", 40),
                number(f"K{r}", 2),
            ]
            cells += [number(f"{column_letters(c)}{r}", c) for c in range(len(HEADER) + 1, per_row + 1)]
            yield f'<row r="{r}">' + "".join(cells) + "</row>"

    structural = 2_000  # content types, relationships, the workbook
    content = workbook(
        sheet(), strings=(text(i) for i in range(strings)), styles=styles_of(caps.MAX_OTHER_XML_BYTES - structural)
    )
    return content


def incident():
    """The file of the report: 3.3 million shared strings, 56 MB unzipped, a few hundred KB zipped."""
    rows = ['<row r="1">' + "".join(inline(f"{column_letters(c)}1", h) for c, h in enumerate(HEADER, 1)) + "</row>"]
    rows.append('<row r="2">' + shared("A2", 0) + shared("B2", 1) + shared("C2", 2) + number("D2", 5) + "</row>")
    return workbook(iter(rows), strings=("x" for _ in range(3_300_000)))  # 17 bytes a string: 56 MB


def one_over_the_string_cap():
    rows = ['<row r="1">' + "".join(inline(f"{column_letters(c)}1", h) for c, h in enumerate(HEADER, 1)) + "</row>"]
    return workbook(iter(rows), strings=(f"第{i}条" for i in range(caps.MAX_SHARED_STRINGS + 1)))


def one_over_the_cell_cap():
    per_row = 100
    header = '<row r="1">' + "".join(inline(f"{column_letters(c)}1", h) for c, h in enumerate(HEADER, 1)) + "</row>"
    body = (
        f'<row r="{r}">' + "".join(number(f"{column_letters(c)}{r}", c) for c in range(1, per_row + 1)) + "</row>"
        for r in range(2, caps.MAX_CELLS // per_row + 3)
    )
    return workbook(iter([header, *body]))


def far_cell():
    rows = [
        '<row r="1">' + "".join(inline(f"{column_letters(c)}1", h) for c, h in enumerate(HEADER, 1)) + "</row>",
        '<row r="2">' + inline("A2", "3") + inline("B2", "3.1") + inline("C2", "要求") + number("D2", 5) + "</row>",
        '<row r="1048576">' + inline("XFD1048576", "x") + "</row>",
    ]
    return workbook(iter(rows))


CASES = {
    "largest accepted file (every cap at once)": largest_accepted,
    "the incident's file: 3.3 million shared strings": incident,
    "one string over the shared-string cap": one_over_the_string_cap,
    "one cell over the cell cap (refused after the longest scan)": one_over_the_cell_cap,
    "one far cell at XFD1048576": far_cell,
}


# --- measuring, each run in a fresh process ------------------------------------------------


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def measure(path, traced):
    """Read one file as an upload is read; print what it cost as JSON (run in a child process)."""
    data = Path(path).read_bytes()
    read_workbook(b"", LAYOUT)  # translations and imports loaded, as in a running worker
    before = rss_mb()
    if traced:
        tracemalloc.start()
    cpu = time.process_time()
    started = time.perf_counter()
    sheet = read_workbook(data, LAYOUT)
    seconds = time.perf_counter() - started
    result = {"seconds": seconds, "cpu": time.process_time() - cpu, "rss_before": before, "rss_peak": rss_mb()}
    result["rows"] = len(sheet.rows)
    result["errors"] = sheet.errors
    result["kept_bytes"] = len(json.dumps(sheet.to_json(), ensure_ascii=False).encode())
    if traced:
        result["heap_peak"] = tracemalloc.get_traced_memory()[1] / MB
    print(json.dumps(result, ensure_ascii=False))


def run_child(path, traced=False):
    command = [sys.executable, __file__, "--measure", str(path)] + (["--traced"] if traced else [])
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ})
    if result.returncode != 0:
        raise SystemExit(f"measuring {path} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def unzipped(content):
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {info.filename: info.file_size for info in archive.infolist()}


def main():
    VAR.mkdir(parents=True, exist_ok=True)
    lines = []
    figures = []
    for index, (name, build) in enumerate(CASES.items()):
        content = build()
        path = VAR / f"case{index}.xlsx"
        path.write_bytes(content)
        sizes = unzipped(content)
        runs = [run_child(path) for _ in range(RUNS)]
        traced = run_child(path, traced=True)
        seconds = statistics.median(run["seconds"] for run in runs)
        cpu = statistics.median(run["cpu"] for run in runs)
        peak = max(run["rss_peak"] for run in runs)
        growth = max(run["rss_peak"] - run["rss_before"] for run in runs)
        rows = runs[0]["rows"]
        outcome = (
            f"{rows:,} row{'s' * (rows != 1)} read" if not runs[0]["errors"] else "refused: " + runs[0]["errors"][0]
        )
        figures.append((name, len(content), sum(sizes.values()), seconds, peak, growth, traced, outcome, sizes, cpu))
        print(
            f"{name}: {len(content) / 1024:,.0f} KB zipped, {sum(sizes.values()) / MB:.1f} MB unzipped; "
            f"{seconds:.2f} s ({cpu:.2f} s CPU), peak RSS {peak:.0f} MB (+{growth:.0f} MB), Python heap peak "
            f"{traced['heap_peak']:.0f} MB; {outcome}",
            flush=True,
        )
    largest = figures[0]
    met = largest[3] < TARGET_SECONDS and largest[4] < TARGET_MB
    lines.append(SECTION)
    lines.append("")
    lines.append(
        f"Run {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC — target for the largest accepted file: "
        f"under {TARGET_SECONDS:.0f} s and {TARGET_MB} MB (peak RSS of the whole process) — "
        f"**{'met' if met else 'NOT met'}**. Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end (other work shares this machine: wall time "
        "stretches with it, CPU time much less)."
    )
    lines.append("")
    lines.append(
        "Caps (campaigns/services/xlsx_guard.py, checked before openpyxl parses): "
        f"upload {settings.IMPORT_MAX_BYTES // MB} MB; {caps.MAX_UNZIPPED_BYTES // MB} MB unzipped in all; "
        f"shared strings {caps.MAX_SHARED_STRINGS_BYTES // MB} MB, {caps.MAX_SHARED_STRINGS:,} strings, "
        f"{caps.MAX_SHARED_STRING_ELEMENTS:,} elements; worksheets {caps.MAX_CELLS:,} cells, "
        f"{caps.MAX_SHEET_ELEMENTS:,} elements; area read {caps.MAX_AREA:,} cells (rows × columns, at most "
        f"{caps.MAX_COLUMNS} columns); other XML parts {caps.MAX_OTHER_XML_BYTES // MB} MB; "
        f"{caps.MAX_PARTS} parts; {settings.IMPORT_MAX_ROWS:,} rows."
    )
    lines.append("")
    lines.append(
        "| file | zipped | unzipped | read in (median of 3) | CPU | peak RSS | growth | Python heap peak | outcome |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, zipped, total, seconds, peak, growth, traced, outcome, _sizes, cpu in figures:
        lines.append(
            f"| {name} | {zipped / 1024:,.0f} KB | {total / MB:.1f} MB | {seconds:.2f} s | {cpu:.2f} s | "
            f"{peak:.0f} MB | +{growth:.0f} MB | {traced['heap_peak']:.0f} MB | {outcome} |"
        )
    sizes = largest[8]
    lines.append("")
    lines.append(
        "The largest accepted file's parts unzipped: "
        + ", ".join(f"{name} {size / MB:.2f} MB" for name, size in sorted(sizes.items(), key=lambda i: -i[1])[:3])
        + f"; the rows kept on its import record take {traced_kept(figures[0]) / 1024:,.0f} KB of JSON."
    )
    lines.append("")
    lines.append(
        "Peak RSS is the reading process's whole resident size (Django, openpyxl and lxml loaded: "
        f"{figures[0][4] - figures[0][5]:.0f} MB before the file); growth is what reading added. "
        "Reproduce: `make bench-imports` (no database needed)."
    )
    section = "\n".join(lines) + "\n"
    save_section(section)
    print(f"\nbench/RESULTS.md: {SECTION} written", flush=True)
    return 0 if met else 1


def traced_kept(figure):
    return figure[6]["kept_bytes"]


def save_section(section):
    """Put the section at the end of RESULTS.md, below the marker that `make bench` keeps."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else ""
    marker = bench.RESULTS_KEEP_MARKER
    if marker not in text:
        text = text.rstrip("\n") + "\n\n" + marker + "\n"
    head, tail = text.split(marker, 1)
    tail = re.sub(rf"(?ms)^{re.escape(SECTION)}\n.*?(?=^## |\Z)", "", tail).strip("\n")
    tail = (tail + "\n\n" if tail else "") + section
    path.write_text(head + marker + "\n\n" + tail)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        measure(sys.argv[2], "--traced" in sys.argv)
    else:
        sys.exit(main())
