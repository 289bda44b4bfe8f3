# Sourced by scripts/test.sh as root. The /connections page is tested in a real headless
# browser (tests/ConnExporter.Tests/Web/Browser): Debian's chromium, driven over the DevTools
# protocol's pipe by the tests themselves (no npm, no driver binary).
require_packages chromium
