#!/usr/bin/env bash
# Debian packages the project needs; installs only what is missing (apt-get update first).
#
#   scripts/install-system-deps.sh            python3 + venv, Chromium, Noto fonts (tests, charts)
#   scripts/install-system-deps.sh --python   only what `python3 -m venv` needs
#   scripts/install-system-deps.sh --tests    the first, PostgreSQL and nginx (the store's tests on a
#                                             shared database, the city deployment's proxy),
#                                             tesseract (reads chart images back), LibreOffice
#                                             (the report converted to PDF)
#
# Chromium drives the browser tests (Playwright with executable_path) and Kaleido's chart export;
# fonts-noto-core gives the app's pages Vietnamese glyphs ("Noto Sans"); chart images and slide files
# use the fonts shipped in indicators/fonts whatever the machine has.
set -euo pipefail

need=()
if ! command -v python3 >/dev/null 2>&1; then
  need+=(python3 python3-venv)
elif ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  need+=(python3-venv) # Debian keeps ensurepip out of python3
fi
if [ "${1:-}" != "--python" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  [ -f /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] || need+=(fonts-noto-core)
fi
# the tests also run the store on a throwaway PostgreSQL server (scripts/pg_local.sh)
if [ "${1:-}" = "--tests" ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)
  # the city deployment's reverse proxy (deploy/nginx.conf), checked by a browser test
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
  # chart images read back in Vietnamese (tests/test_chart_images.py), fc-match to check the fonts
  command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
  ls /usr/share/tesseract-ocr/*/tessdata/vie.traineddata >/dev/null 2>&1 || need+=(tesseract-ocr-vie)
  command -v fc-match >/dev/null 2>&1 || need+=(fontconfig)
  # the report converted to PDF (tests/test_report.py) and the slides' PowerPoint file opened
  # (tests/test_slides.py): Writer and Impress without the desktop's libraries
  command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
  [ -f /usr/lib/libreoffice/program/libslideshowlo.so ] || need+=(libreoffice-impress-nogui)
fi
[ ${#need[@]} -eq 0 ] && exit 0

echo "install-system-deps: installing ${need[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: missing ${need[*]}, and this is not a Debian system (no apt-get): install them by hand." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=
elif command -v sudo >/dev/null 2>&1; then
  SUDO=sudo
else
  echo "install-system-deps: missing ${need[*]}; run as root or install sudo." >&2
  exit 1
fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
