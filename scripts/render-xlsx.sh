#!/usr/bin/env bash
# Render every sheet of a workbook to PNG pages, to look at what a billing manager will see:
#   scripts/render-xlsx.sh clinic_week.scrubbed.xlsx /tmp/render
# Needs LibreOffice and poppler (Debian: apt-get install libreoffice-calc-nogui poppler-utils).
# Each sheet prints one page wide (ptcalc sets the print layout), so the PDF pages are the sheets.
set -euo pipefail
book="$1"; out="${2:-render}"
mkdir -p "$out"
soffice --headless --convert-to pdf --outdir "$out" "$book" >/dev/null
pdf="$out/$(basename "${book%.*}").pdf"
pdftoppm -png -r 70 "$pdf" "$out/page"
ls "$out"/page*.png
