# Sourced by scripts/test.sh as root. The web security tests need: libcrypt1 (libxcrypt, whose
# crypt_rn checks bcrypt passwords at run time; Debian's base system has it, listed to be
# explicit), curl (real TLS/mTLS/basic-auth client), prometheus (scrapes over TLS) and
# ca-certificates (the system trust store that client certificates without client_ca_file
# verify against).
require_packages libcrypt1 curl prometheus ca-certificates
