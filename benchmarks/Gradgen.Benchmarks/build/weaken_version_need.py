#!/usr/bin/env python3
"""Mark symbol-version needs of an ELF64 shared object as weak (VER_FLG_WEAK).

TorchSharp 0.107's libLibTorchSharp.so was linked with GCC 13 and so records a need for GLIBCXX_3.4.32, which the
libstdc++ of Debian 12 (GLIBCXX up to 3.4.30) lacks. The only symbol behind that version is
std::ios_base_library_init, a marker the linker references and nobody calls (the .so has no relocation against it).
A weak version need lets ld.so load the library where the version is missing instead of failing with
"version `GLIBCXX_3.4.32' not found".

usage: weaken_version_need.py FILE VERSION [VERSION ...]

The file is rewritten through a temporary file and a rename, so a hard link into the NuGet cache is never modified.
Idempotent: an entry that is already weak is left as it is. Exits non-zero when FILE is not an ELF64 little-endian
object with a .gnu.version_r section, or when a named VERSION is not among its needs.
"""
import os
import struct
import sys
import tempfile

VER_FLG_WEAK = 0x2
SHT_GNU_VERNEED = 0x6FFFFFFE


def cstr(data: bytes, offset: int) -> str:
    end = data.index(b"\0", offset)
    return data[offset:end].decode("ascii")


def weaken(data: bytearray, versions: set) -> dict:
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not an ELF64 little-endian file")
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = []
    for i in range(e_shnum):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info, ...
        sh = struct.unpack_from("<IIQQQQII", data, e_shoff + i * e_shentsize)
        sections.append(sh)
    verneed = [s for s in sections if s[1] == SHT_GNU_VERNEED]
    if not verneed:
        raise ValueError("no .gnu.version_r (SHT_GNU_verneed) section")
    _, _, _, _, vn_off, _, link, count = verneed[0]
    strtab_off = sections[link][4]
    found = {}
    entry = vn_off
    for _ in range(count):
        # Elf64_Verneed: vn_version(H) vn_cnt(H) vn_file(I) vn_aux(I) vn_next(I)
        _, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, entry)
        aux = entry + vn_aux
        for _ in range(vn_cnt):
            # Elf64_Vernaux: vna_hash(I) vna_flags(H) vna_other(H) vna_name(I) vna_next(I)
            _, flags, _, vna_name, vna_next = struct.unpack_from("<IHHII", data, aux)
            name = cstr(data, strtab_off + vna_name)
            if name in versions:
                was_weak = bool(flags & VER_FLG_WEAK)
                struct.pack_into("<H", data, aux + 4, flags | VER_FLG_WEAK)
                found[name] = (cstr(data, strtab_off + vn_file), was_weak)
            if vna_next == 0:
                break
            aux += vna_next
        if vn_next == 0:
            break
        entry += vn_next
    return found


def main(argv) -> int:
    if len(argv) < 3:
        print("usage: weaken_version_need.py FILE VERSION [VERSION ...]", file=sys.stderr)
        return 2
    path, versions = argv[1], set(argv[2:])
    with open(path, "rb") as f:
        data = bytearray(f.read())
    try:
        found = weaken(data, versions)
    except ValueError as e:
        print(f"weaken_version_need: {path}: {e}", file=sys.stderr)
        return 1
    missing = versions - found.keys()
    if missing:
        print(f"weaken_version_need: {path}: no version need named {', '.join(sorted(missing))}", file=sys.stderr)
        return 1
    if all(was_weak for _, was_weak in found.values()):
        print(f"weaken_version_need: {path}: already weak: {', '.join(sorted(found))}")
        return 0
    mode = os.stat(path).st_mode
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".weaken-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    for name, (lib, _) in sorted(found.items()):
        print(f"weaken_version_need: {path}: {lib} {name} -> weak")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
