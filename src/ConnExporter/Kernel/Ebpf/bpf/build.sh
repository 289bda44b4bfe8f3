#!/bin/sh
# Compiles conn_events.bpf.c into conn_events.bpf.o beside it, reproducibly: the source is named
# relatively, the build directory is mapped to ".", and DWARF is stripped (libbpf needs only the
# .BTF and .BTF.ext sections), so the same clang and libbpf headers give the same bytes anywhere.
# Needs Debian's clang-14, llvm-14 (llvm-strip) and libbpf-dev. Usage: build.sh [output.o]
set -eu
cd "$(dirname "$0")"
out=${1:-conn_events.bpf.o}
clang=${CLANG:-clang-14}
strip=${LLVM_STRIP:-llvm-strip-14}
# <linux/bpf.h> pulls <asm/types.h>, which Debian keeps under the multiarch directory.
multiarch=$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")
"$clang" -O2 -g -target bpf -Wall -Werror \
  -fdebug-prefix-map="$PWD"=. -idirafter "/usr/include/$multiarch" \
  -c conn_events.bpf.c -o "$out"
"$strip" -g "$out"
