# Native AOT publish (the shipped binary; the end-to-end tier and bench/command.sh publish it):
# the ILCompiler package (NuGet) compiles, and the system's C toolchain links: clang (or gcc)
# and zlib's headers and static library.
require_packages clang zlib1g-dev
