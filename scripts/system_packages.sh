#!/usr/bin/env bash
# Make sure Debian packages the app needs are installed: fonts and Pango for PDF dossiers with
# Chinese glyphs, gettext for the translations; pass extra package names (e.g. chromium for the
# browser tests). Installs them with apt when run as root; otherwise says what is missing.
set -euo pipefail
wanted=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 gettext "$@")
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]} from Debian's packages…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages: ${missing[*]}. Install them (sudo apt-get install ${missing[*]}) and run again." >&2
  exit 1
fi
