"""The ELF interpreter reader on this machine's real binaries and on crafted / broken files."""
from __future__ import annotations

import os
import shutil
import struct
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.probes.elf import parse_elf_bytes, read_elf


def craft(interp: bytes = b"/lib64/ld-lsb-x86-64.so.3\0", bits: int = 64, little: bool = True,
          machine: int = 62, phnum_extra: int = 1) -> bytes:
    """A minimal ELF executable: header, program headers (a PT_LOAD then PT_INTERP), the interpreter."""
    end = "<" if little else ">"
    if bits == 64:
        ehsize, phentsize = 64, 56
        ph_fmt = end + "IIQQQQQQ"
    else:
        ehsize, phentsize = 52, 32
        ph_fmt = end + "IIIIIIII"
    phnum = phnum_extra + 1
    phoff = ehsize
    interp_off = phoff + phnum * phentsize
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 1 if little else 2, 1]) + b"\0" * 9
    hdr_fmt = end + ("HHIIIIIHHHHHH" if bits == 32 else "HHIQQQIHHHHHH")
    hdr = struct.pack(hdr_fmt, 2, machine, 1, 0, phoff, 0, 0, ehsize, phentsize, phnum, 0, 0, 0)
    phs = b""
    for _ in range(phnum_extra):
        phs += struct.pack(ph_fmt, *([1] + [0] * 7))  # PT_LOAD
    if bits == 64:
        phs += struct.pack(ph_fmt, 3, 4, interp_off, 0, 0, len(interp), len(interp), 1)
    else:
        phs += struct.pack(ph_fmt, 3, interp_off, 0, 0, len(interp), len(interp), 4, 1)
    return ident + hdr + phs + interp


def test_real_ls_has_the_system_loader():
    ls = shutil.which("ls") or "/bin/ls"
    info = read_elf(ls)
    assert info.is_elf and info.error is None
    assert info.interpreter and info.interpreter.startswith("/") and "ld-" in info.interpreter
    assert os.path.exists(info.interpreter)
    assert info.bits in (32, 64) and not info.wants_lsb


def test_real_python_executable():
    info = read_elf(os.path.realpath(sys.executable))
    assert info.is_elf and info.error is None
    assert info.interpreter is not None and os.path.exists(info.interpreter)


def test_crafted_lsb_64_and_32_bit_and_big_endian():
    i64 = parse_elf_bytes(craft())
    assert (i64.bits, i64.little_endian, i64.machine, i64.interpreter) == (64, True, 62, "/lib64/ld-lsb-x86-64.so.3")
    assert i64.wants_lsb
    i32 = parse_elf_bytes(craft(b"/lib/ld-lsb.so.3\0", bits=32, machine=3))
    assert (i32.bits, i32.machine, i32.interpreter) == (32, 3, "/lib/ld-lsb.so.3") and i32.wants_lsb
    be = parse_elf_bytes(craft(b"/lib/ld.so.1\0", bits=32, little=False, machine=8))
    assert (be.little_endian, be.interpreter) == (False, "/lib/ld.so.1")


@pytest.mark.parametrize("cut", [0, 3, 10, 17, 40, 63, 64, 100, 130, 180])
def test_truncated_files_report_an_error_not_an_exception(cut):
    data = craft()[:cut]
    info = parse_elf_bytes(data)
    assert info.interpreter is None
    assert info.error is not None


def test_truncated_real_binary_on_disk(tmp_path):
    ls = shutil.which("ls") or "/bin/ls"
    with open(ls, "rb") as fh:
        head = fh.read(100)
    p = tmp_path / "ls-cut"
    p.write_bytes(head)
    info = read_elf(str(p))
    assert info.is_elf and info.error and info.interpreter is None


def test_garbage_text_and_missing_files(tmp_path):
    g = tmp_path / "garbage"
    g.write_bytes(os.urandom(4096).replace(b"\x7fELF", b"xxxx"))
    assert read_elf(str(g)).error == "not an ELF file"
    s = tmp_path / "script"
    s.write_text("#!/bin/sh\necho hi\n")
    assert not read_elf(str(s)).is_elf
    assert read_elf(str(tmp_path / "nope")).error.startswith("cannot open")
    assert read_elf(str(tmp_path)).error is not None  # a directory


def test_damaged_header_fields():
    data = bytearray(craft())
    data[4] = 7  # unknown class
    assert parse_elf_bytes(bytes(data)).error == "unknown ELF class or byte order"
    huge = craft(phnum_extra=1)
    # phnum beyond any sane count
    b = bytearray(huge)
    struct.pack_into("<H", b, 56, 60000)
    assert parse_elf_bytes(bytes(b)).error == "damaged program header table"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data):
    info = parse_elf_bytes(data)
    assert info.is_elf == data.startswith(b"\x7fELF")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=300), st.binary(min_size=1, max_size=8))
def test_corrupting_a_valid_file_never_raises(pos, junk):
    data = bytearray(craft())
    pos = min(pos, len(data) - 1)
    data[pos:pos + len(junk)] = junk
    parse_elf_bytes(bytes(data))
