"""CSV and XLSX task lists with a column mapping; tables out as CSV and XLSX."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook

from pmo.engine.plan import LagUnit, LinkType
from pmo.errors import FileFormatError, PayloadTooLarge, UnsupportedFormat
from pmo.interop.document import Constraint
from pmo.interop.fidelity import check_fidelity
from pmo.interop.projectfile import ReadOptions, detect_format, read_project_file
from pmo.interop.tabular import (
    Table,
    csv_bytes,
    default_mapping,
    read_tasklist,
    task_table,
    xlsx_bytes,
)

MS_PROJECT_CSV = """\
ID,Task Name,Duration,Predecessors,Outline Level,Start,Resource Names,% Complete
1,Design phase,5 days,,1,2026-01-05T08:00,,0%
2,Specify,3 days,,2,2026-01-05T08:00,Alice,50%
3,Review,2d,"2FS+1d",2,2026-01-09T08:00,"Alice[50%],Bob",0
4,Signed off,0 days,3,1,2026-01-13T17:00,,0
5,Build,2w,"3SS+2d,4FF-20%",1,2026-01-14T08:00,Bob,0
"""


def _xlsx(rows: list[list[object]], title: str = "Plan") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_ms_project_headers_are_recognised() -> None:
    doc = read_tasklist(MS_PROJECT_CSV.encode(), "plan.csv")
    assert [t.name for t in doc.tasks] == [
        "Design phase",
        "Specify",
        "Review",
        "Signed off",
        "Build",
    ]
    by = {t.id: t for t in doc.tasks}
    assert by["1"].summary and by["2"].parent == "1" and by["3"].parent == "1"
    assert by["4"].parent is None and by["4"].milestone and by["4"].duration == 0
    assert by["5"].duration == 2 * 5 * 480 and by["3"].duration == 960
    assert by["2"].percent_complete == 50
    links = {(lk.predecessor, lk.successor): lk for lk in doc.links}
    assert links[("2", "3")].lag == 480 and links[("2", "3")].type == LinkType.FS
    assert links[("3", "5")].type == LinkType.SS and links[("3", "5")].lag == 960
    assert links[("4", "5")].type == LinkType.FF
    assert (links[("4", "5")].lag, links[("4", "5")].lag_unit) == (-20, LagUnit.PERCENT)
    assert {r.name for r in doc.resources} == {"Alice", "Bob"}
    units = {(a.task, a.resource): a.units for a in doc.assignments}
    assert units[("3", "res:Alice")] == 0.5 and units[("3", "res:Bob")] == 1.0
    assert doc.project.start == datetime(2026, 1, 5, 8)
    assert doc.source_format == "csv"
    check_fidelity(doc)  # schedulable: the engine accepts what the reader made


def test_a_mapping_names_the_columns_and_wbs_gives_the_outline() -> None:
    text = "Ref;Activity;Days;After;Outline\nA;Site;;;1\nB;Dig;4;;1.1\nC;Pour;2;B;1.2\n"
    mapping = {"id": "Ref", "name": "Activity", "duration": "Days", "predecessors": "After"}
    mapping["wbs"] = "Outline"
    doc = read_tasklist(text.encode(), "site.csv", mapping)
    by = {t.id: t for t in doc.tasks}
    assert by["B"].parent == "A" and by["C"].parent == "A" and by["A"].summary
    assert by["B"].duration == 4 * 480
    assert [(lk.predecessor, lk.successor) for lk in doc.links] == [("B", "C")]
    # an unknown column or field is named
    with pytest.raises(FileFormatError, match="no column 'Nope' for name"):
        read_tasklist(text.encode(), "site.csv", {"name": "Nope"})
    with pytest.raises(FileFormatError, match="unknown field 'colour'"):
        read_tasklist(text.encode(), "site.csv", {"colour": "Ref"})


def test_xlsx_with_a_mapping_date_cells_and_percent_cells() -> None:
    data = _xlsx(
        [
            ["Code", "What", "Length", "Needs", "Begins", "Done"],
            ["T1", "Order steel", 3, None, datetime(2026, 2, 2, 8), 0.25],
            ["T2", "Erect", "1w", "T1FS+1d", datetime(2026, 2, 6, 8), None],
        ]
    )
    wb = load_workbook(io.BytesIO(data))
    wb.active["F2"].number_format = "0%"
    buf = io.BytesIO()
    wb.save(buf)
    mapping = {
        "id": "Code",
        "name": "What",
        "duration": "Length",
        "predecessors": "Needs",
        "start": "Begins",
        "percent_complete": "Done",
    }
    doc = read_tasklist(buf.getvalue(), "steel.xlsx", mapping)
    assert doc.source_format == "xlsx"
    t1, t2 = doc.tasks
    assert (t1.duration, t2.duration) == (3 * 480, 5 * 480)
    assert t1.start == datetime(2026, 2, 2, 8) and t1.percent_complete == 25
    assert doc.links[0].lag == 480
    assert detect_format(buf.getvalue(), "steel.xlsx") == "xlsx"
    kind, docs = read_project_file(buf.getvalue(), "steel.xlsx", ReadOptions(mapping=mapping))
    assert kind == "xlsx" and len(docs) == 1


def test_errors_name_the_line_task_and_column() -> None:
    bad_duration = "ID,Name,Duration\n1,A,5d\n2,B,five days\n"
    with pytest.raises(FileFormatError) as err:
        read_tasklist(bad_duration.encode(), "x.csv")
    assert err.value.location.line == 3
    assert err.value.location.record == "2" and err.value.location.column == "Duration"
    with pytest.raises(FileFormatError, match="unknown task '9'"):
        read_tasklist(b"ID,Name,Duration,Predecessors\n1,A,1d,9\n", "x.csv")
    with pytest.raises(FileFormatError, match="duplicate id"):
        read_tasklist(b"ID,Name,Duration\n1,A,1d\n1,B,1d\n", "x.csv")
    with pytest.raises(FileFormatError, match="not a date"):
        read_tasklist(b"ID,Name,Duration,Start\n1,A,1d,05/01/2026\n", "x.csv")
    ok = read_tasklist(
        b"ID,Name,Duration,Start\n1,A,1d,05/01/2026\n", "x.csv", date_format="%d/%m/%Y"
    )
    assert ok.tasks[0].start == datetime(2026, 1, 5)
    with pytest.raises(FileFormatError, match="no task columns"):
        read_tasklist(b"colour,size\nred,3\n", "x.csv")
    with pytest.raises(FileFormatError, match="needs a constraint date"):
        read_tasklist(b"ID,Name,Duration,Constraint Type\n1,A,1d,SNET\n", "x.csv")


def test_constraints_in_ms_project_words() -> None:
    text = (
        "ID,Name,Duration,Constraint Type,Constraint Date\n"
        "1,A,1d,Start No Earlier Than,2026-03-02\n2,B,1d,ALAP,\n"
    )
    a, b = read_tasklist(text.encode(), "c.csv").tasks
    assert a.constraint_type == Constraint.SNET and a.constraint_date == datetime(2026, 3, 2)
    assert b.constraint_type == Constraint.ALAP and b.constraint_date is None


def test_csv_export_imports_back_as_the_same_tasks() -> None:
    doc = read_tasklist(MS_PROJECT_CSV.encode(), "plan.csv")
    data = csv_bytes(task_table(doc))
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    again = read_tasklist(data, "plan-tasks.csv")
    assert [(t.name, t.parent, t.duration, t.milestone) for t in again.tasks] == [
        (t.name, t.parent, t.duration, t.milestone) for t in doc.tasks
    ]
    assert sorted(
        (lk.predecessor, lk.successor, lk.type, lk.lag, lk.lag_unit) for lk in again.links
    ) == sorted((lk.predecessor, lk.successor, lk.type, lk.lag, lk.lag_unit) for lk in doc.links)
    assert {(a.task, a.resource, a.units) for a in again.assignments} == {
        (a.task, a.resource, a.units) for a in doc.assignments
    }
    xlsx = xlsx_bytes([task_table(doc)])
    from_xlsx = read_tasklist(xlsx, "plan.xlsx")
    assert [t.name for t in from_xlsx.tasks] == [t.name for t in doc.tasks]
    assert len(from_xlsx.links) == len(doc.links)


def test_text_that_looks_like_a_formula_stays_text() -> None:
    table = Table(
        "Risks", ("Code", "Title", "Score"), [("R1", '=HYPERLINK("x")', 12), ("R2", "-5 days", -3)]
    )
    rows = list(csv.reader(io.StringIO(csv_bytes(table).decode("utf-8-sig"))))
    assert rows[1] == ["R1", '\'=HYPERLINK("x")', "12"]
    assert rows[2] == ["R2", "'-5 days", "-3"]
    wb = load_workbook(io.BytesIO(xlsx_bytes([table])))
    ws = wb["Risks"]
    assert ws["B2"].value == '=HYPERLINK("x")' and ws["B2"].data_type == "s"
    assert ws["C3"].value == -3
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes([table]))) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula anywhere


def test_workbooks_that_unpack_too_large_are_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", "0" * 5_000_000)
    data = buf.getvalue()
    assert len(data) < 100_000
    with pytest.raises(PayloadTooLarge, match="unpacks"):
        read_tasklist(data, "bomb.xlsx", max_bytes=200_000)
    with pytest.raises(UnsupportedFormat, match="not an Excel"):
        read_tasklist(_zip_without_workbook(), "other.xlsx")


def _zip_without_workbook() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    return buf.getvalue()


def test_default_mapping_and_format_detection() -> None:
    assert default_mapping(["Task Name", "ID", "% Complete", "Outline_Level"]) == {
        "name": "Task Name",
        "id": "ID",
        "percent_complete": "% Complete",
        "outline_level": "Outline_Level",
    }
    assert detect_format(b"ERMHDR\t8.0", "x.txt") == "xer"
    assert detect_format(b"\xef\xbb\xbf<?xml version='1.0'?><Project/>", "x") == "mspdi"
    assert detect_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "plan.mpp") == "mpp"
    assert detect_format(b"ID,Name\n", "list.csv") == "csv"
    with pytest.raises(UnsupportedFormat, match="old Excel"):
        detect_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "plan.xls")
    with pytest.raises(UnsupportedFormat, match="JSON"):
        detect_format(b'{"format": "pmo.organisation"}', "org.json")
    with pytest.raises(UnsupportedFormat, match="binary"):
        detect_format(b"\x00\x01\x02garbage", "x.bin")
