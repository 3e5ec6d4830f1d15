#!/usr/bin/env bash
# Renders icon.svg to every icon Tauri bundles. Needs rsvg-convert (librsvg2-bin),
# ImageMagick's convert (for .ico) and python3 (for .icns). Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

png() { rsvg-convert -w "$1" -h "$1" icon.svg -o "$2"; }

png 32 32x32.png
png 128 128x128.png
png 256 128x128@2x.png
png 512 icon.png

for s in 16 24 32 48 64 256; do png "$s" "$tmp/ico-$s.png"; done
convert "$tmp"/ico-16.png "$tmp"/ico-24.png "$tmp"/ico-32.png "$tmp"/ico-48.png \
  "$tmp"/ico-64.png "$tmp"/ico-256.png icon.ico

# ICNS: a header then (type, length, PNG) entries; PNG payloads are valid for these types.
for s in 16 32 64 128 256 512 1024; do png "$s" "$tmp/icns-$s.png"; done
python3 - "$tmp" <<'PY'
import struct, sys
tmp = sys.argv[1]
types = [("icp4", 16), ("icp5", 32), ("icp6", 64), ("ic07", 128), ("ic08", 256),
         ("ic09", 512), ("ic10", 1024)]
body = b""
for t, s in types:
    data = open(f"{tmp}/icns-{s}.png", "rb").read()
    body += t.encode() + struct.pack(">I", len(data) + 8) + data
open("icon.icns", "wb").write(b"icns" + struct.pack(">I", len(body) + 8) + body)
PY
ls -l 32x32.png 128x128.png 128x128@2x.png icon.png icon.ico icon.icns
