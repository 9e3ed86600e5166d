"""Read an ELF binary's program interpreter (PT_INTERP) without `file` or `readelf`.

FlexNet's LSB builds ask for /lib64/ld-lsb-x86-64.so.3; when that loader is missing the
shell says "No such file or directory" for a file that is plainly there. Reading the
interpreter from the binary itself tells which loader it needs. Never raises: a short,
garbage or unreadable file gives an ``ElfInfo`` with ``error`` set.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Optional

ELF_MAGIC = b"\x7fELF"
PT_INTERP = 3
MAX_PHNUM = 4096  # real binaries have a dozen; more means a damaged header
MAX_INTERP = 4096


@dataclass(frozen=True)
class ElfInfo:
    path: str = ""
    is_elf: bool = False
    bits: Optional[int] = None  # 32 or 64
    little_endian: Optional[bool] = None
    machine: Optional[int] = None  # e_machine: 62 x86-64, 3 i386, 183 aarch64
    interpreter: Optional[str] = None  # None for static binaries and shared objects
    error: Optional[str] = None

    @property
    def wants_lsb(self) -> bool:
        return bool(self.interpreter and "ld-lsb" in self.interpreter)


def _read_at(fh: BinaryIO, offset: int, size: int) -> bytes:
    fh.seek(offset)
    return fh.read(size)


def read_elf_stream(fh: BinaryIO, path: str = "") -> ElfInfo:
    try:
        ident = _read_at(fh, 0, 16)
    except (OSError, ValueError) as exc:
        return ElfInfo(path, error=f"cannot read: {exc}")
    if len(ident) < 4 or ident[:4] != ELF_MAGIC:
        return ElfInfo(path, error="not an ELF file")
    if len(ident) < 16:
        return ElfInfo(path, is_elf=True, error="truncated ELF header")
    cls, data = ident[4], ident[5]
    if cls not in (1, 2) or data not in (1, 2):
        return ElfInfo(path, is_elf=True, error="unknown ELF class or byte order")
    bits = 32 if cls == 1 else 64
    end = "<" if data == 1 else ">"
    # e_type..e_shstrndx after e_ident
    hdr_fmt = end + ("HHIIIIIHHHHHH" if bits == 32 else "HHIQQQIHHHHHH")
    hdr_size = struct.calcsize(hdr_fmt)
    try:
        raw = _read_at(fh, 16, hdr_size)
    except (OSError, ValueError) as exc:
        return ElfInfo(path, True, bits, data == 1, error=f"cannot read: {exc}")
    if len(raw) < hdr_size:
        return ElfInfo(path, True, bits, data == 1, error="truncated ELF header")
    (_etype, machine, _ver, _entry, phoff, _shoff, _flags, _ehsize, phentsize, phnum, _shentsize, _shnum,
     _shstrndx) = struct.unpack(hdr_fmt, raw)
    base = ElfInfo(path, True, bits, data == 1, machine)
    ph_fmt = end + ("IIIIIIII" if bits == 32 else "IIQQQQQQ")
    ph_size = struct.calcsize(ph_fmt)
    if phnum == 0:
        return base  # no program headers: an object file, no interpreter
    if phentsize < ph_size or phnum > MAX_PHNUM:
        return ElfInfo(path, True, bits, data == 1, machine, error="damaged program header table")
    for i in range(phnum):
        try:
            ph = _read_at(fh, phoff + i * phentsize, ph_size)
        except (OSError, ValueError, OverflowError) as exc:
            return ElfInfo(path, True, bits, data == 1, machine, error=f"cannot read program headers: {exc}")
        if len(ph) < ph_size:
            return ElfInfo(path, True, bits, data == 1, machine, error="truncated program header table")
        fields = struct.unpack(ph_fmt, ph)
        p_type = fields[0]
        if p_type != PT_INTERP:
            continue
        if bits == 32:
            p_offset, p_filesz = fields[1], fields[4]
        else:
            p_offset, p_filesz = fields[2], fields[5]
        if p_filesz == 0 or p_filesz > MAX_INTERP:
            return ElfInfo(path, True, bits, data == 1, machine, error="damaged PT_INTERP entry")
        try:
            blob = _read_at(fh, p_offset, p_filesz)
        except (OSError, ValueError, OverflowError) as exc:
            return ElfInfo(path, True, bits, data == 1, machine, error=f"cannot read the interpreter: {exc}")
        if len(blob) < p_filesz:
            return ElfInfo(path, True, bits, data == 1, machine, error="truncated interpreter string")
        interp = blob.split(b"\x00", 1)[0].decode("utf-8", "replace")
        return ElfInfo(path, True, bits, data == 1, machine, interp or None)
    return base


def read_elf(path: str) -> ElfInfo:
    """The ELF facts of ``path``. Never raises."""
    try:
        with open(path, "rb") as fh:
            return read_elf_stream(fh, path)
    except (OSError, ValueError) as exc:
        return ElfInfo(path, error=f"cannot open: {getattr(exc, 'strerror', None) or exc}")


def parse_elf_bytes(data: bytes) -> ElfInfo:
    import io

    return read_elf_stream(io.BytesIO(data))
