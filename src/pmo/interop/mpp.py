"""Microsoft Project binary files (``.mpp``) through MPXJ, an optional extra.

The ``.mpp`` format is undocumented; MPXJ (https://www.mpxj.org, LGPL) reads every version of
it. Install it with ``pip install 'pmo[mpp]'`` (the ``mpxj`` package ships MPXJ's jars) and have
a Java runtime (11 or later; ``java`` on the ``PATH``, ``JAVA_HOME`` or ``PMO_JAVA``).

:func:`read_mpp` runs MPXJ's converter in a **separate Java process** (``MpxjConvert``, with a
time and memory limit): the ``.mpp`` becomes an MSPDI file in a private temporary folder, which
:func:`pmo.interop.mspdi.read_mspdi` then reads like any other. No JVM is started inside the
web server, a crash or a runaway file only ends that process, and the jars are used as they are
shipped (JPype is not needed). Without Java or the extra, :func:`read_mpp` raises
:class:`~pmo.errors.UnsupportedFormat` saying what to install.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

from pmo.errors import FileFormatError, FileLocation, UnsupportedFormat
from pmo.interop.document import DEFAULT_MAX_BYTES, ProjectDocument, Source, read_bytes, source_name
from pmo.interop.mspdi import read_mspdi

__all__ = ["OLE_MAGIC", "mpxj_status", "read_mpp"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: .mpp (and old .xls, .doc)
CONVERTERS = ("org/mpxj/sample/MpxjConvert.class", "net/sf/mpxj/sample/MpxjConvert.class")
TIMEOUT = 300  # seconds for one conversion
JAVA_MEMORY = os.environ.get("PMO_MPXJ_MEMORY", "1g")

INSTALL_HINT = (
    "reading .mpp files needs MPXJ and Java: install pmo with the 'mpp' extra "
    "(pip install 'pmo[mpp]') and a Java runtime 11+ (java on the PATH, or JAVA_HOME / "
    "PMO_JAVA); or save the plan from MS Project as XML (MSPDI) and import that"
)


def _jar_folder() -> Path | None:
    """The folder of MPXJ's jars in the ``mpxj`` package (found without importing it: its
    ``__init__`` starts JPype)."""
    try:
        spec = importlib.util.find_spec("mpxj")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        lib = Path(location) / "lib"
        if (lib / "mpxj.jar").is_file():
            return lib
    return None


def _java() -> str | None:
    explicit = os.environ.get("PMO_JAVA")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def _converter(lib: Path) -> str | None:
    try:
        with zipfile.ZipFile(lib / "mpxj.jar") as jar:
            names = set(jar.namelist())
    except (OSError, zipfile.BadZipFile):
        return None
    for entry in CONVERTERS:
        if entry in names:
            return entry.removesuffix(".class").replace("/", ".")
    return None


def mpxj_status() -> tuple[bool, str]:
    """(available, what is missing or which Java and MPXJ would be used)."""
    lib = _jar_folder()
    if lib is None:
        return False, "the 'mpxj' package is not installed. " + INSTALL_HINT
    java = _java()
    if java is None:
        return False, "no Java runtime found. " + INSTALL_HINT
    converter = _converter(lib)
    if converter is None:
        return False, f"MPXJ in {lib} has no converter class; install mpxj 13 or later"
    return True, f"MPXJ {lib} with {java}"


def read_mpp(
    source: Source,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
    timeout: float = TIMEOUT,
) -> ProjectDocument:
    """Read an ``.mpp`` file (path, bytes or stream) into a :class:`ProjectDocument`.

    Raises :class:`~pmo.errors.UnsupportedFormat` when MPXJ or Java is missing or the input
    is not a compound file, :class:`~pmo.errors.FileFormatError` when MPXJ cannot read it
    (its message), :class:`~pmo.errors.PayloadTooLarge` past ``max_bytes``.
    """
    fname = source_name(source, name)
    data = read_bytes(source, max_bytes, fname)
    if data[:8] != OLE_MAGIC:
        raise UnsupportedFormat(
            "not a Microsoft Project .mpp file (no compound-file signature)", FileLocation(fname)
        )
    lib = _jar_folder()
    java = _java()
    converter = _converter(lib) if lib is not None else None
    if lib is None or java is None or converter is None:
        raise UnsupportedFormat(mpxj_status()[1], FileLocation(fname))
    with tempfile.TemporaryDirectory(prefix="pmo-mpp-") as tmp:
        src = Path(tmp) / "input.mpp"
        out = Path(tmp) / "output.xml"
        src.write_bytes(data)
        command = [
            java,
            f"-Xmx{JAVA_MEMORY}",
            "-Djava.awt.headless=true",
            "-Dlog4j2.loggerContextFactory=org.apache.logging.log4j.simple.SimpleLoggerContextFactory",
            "-cp",
            str(lib / "*"),
            converter,
            str(src),
            str(out),
        ]
        try:
            done = subprocess.run(  # noqa: S603 - fixed command, file names we made
                command,
                capture_output=True,
                timeout=timeout,
                check=False,
                cwd=tmp,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise FileFormatError(
                f"MPXJ did not finish reading the file within {timeout:g} s", FileLocation(fname)
            ) from None
        except OSError as exc:
            raise UnsupportedFormat(
                f"cannot run Java ({exc}). {INSTALL_HINT}", FileLocation(fname)
            ) from None
        if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            raise FileFormatError(
                "MPXJ cannot read this file: " + _last_error(done.stderr + done.stdout),
                FileLocation(fname),
            )
        doc = read_mspdi(out, name=fname, max_bytes=max(max_bytes, 16 * out.stat().st_size))
    project = doc.project
    title = project.title or Path(fname).stem
    return replace(doc, project=replace(project, name=title, title=title), source_format="mpp")


def _last_error(output: bytes) -> str:
    lines = [
        ln.strip()
        for ln in output.decode("utf-8", "replace").splitlines()
        if ln.strip() and "logging provider" not in ln and not ln.strip().startswith("at ")
    ]
    interesting = [ln for ln in lines if "Exception" in ln or "rror" in ln]
    text = (interesting or lines or ["no message"])[-1]
    return text[:300]
