#!/usr/bin/env bash
# Sets up what build.py and the tests need on Debian/Ubuntu: TeX Live and fonts from Debian's packages
# (installed when missing, if we are root), then a virtual environment .venv with requirements.txt and the
# optional Dask extra (requirements-dask.txt) and requirements-dev.txt (the book-page build), which the tests need.
set -euo pipefail
cd "$(dirname "$0")"

DEB_PACKAGES="python3-venv texlive-xetex texlive-latex-extra texlive-lang-cyrillic texlive-fonts-recommended lmodern latexmk fonts-dejavu poppler-utils"
missing=()
for pkg in $DEB_PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# python3-venv is only needed when the python3 in use cannot make a venv by itself
if python3 -c "import ensurepip, venv" 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "setup: install them, then run this again:  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
# reinstall only when a requirements file changed since the last successful install
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dask.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python packages (requirements.txt, requirements-dask.txt, requirements-dev.txt)"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dask.txt -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
echo "setup: ready"
