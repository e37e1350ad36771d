#!/usr/bin/env bash
# System packages derive's sheets want, installed when missing and possible (root or sudo):
#   libharfbuzz-subset0  WeasyPrint cuts fonts down with it; without it, it falls back to
#                        fontTools, which is several times slower (PDFs stay byte-identical).
# Fonts need nothing from the system: derive ships NanumGothic and uses STIX Two Math.
set -u
missing=()
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset\.so' || missing+=(libharfbuzz-subset0)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: install ${missing[*]} for faster PDFs (no apt-get here)" >&2; exit 0
fi
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else
  echo "note: run 'sudo apt-get install ${missing[*]}' for faster PDFs" >&2; exit 0
fi
$sudo apt-get update -qq >/dev/null && \
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || echo "note: could not install ${missing[*]}; PDFs will be slower" >&2
exit 0
