#!/bin/sh
# Install the Debian packages given as arguments when some are missing: as root with apt-get,
# otherwise say in one line what to run.
missing=""
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "Paquets système manquants (installez leurs équivalents) :$missing" >&2
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "Paquets Debian manquants ; installez-les avec : sudo apt-get install -y$missing" >&2
    exit 0
fi
echo "Installation des paquets Debian :$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
