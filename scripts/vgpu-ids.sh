#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vgpu-ids.sh - the device's PCI IDs, read from the one place that defines
# them (include/uapi/linux/vgpu.h), for scripts; and a check that no company
# holds them in the PCI ID database.
#
#   vgpu-ids.sh NAME...          print each VGPU_PCI_NAME (e.g. VENDOR_ID) as
#                                0xNNNN, one per line
#   vgpu-ids.sh --check [FILE]   check FILE (default: pciutils' pci.ids) lists
#                                neither the vendor ID nor it as a subsystem
#                                vendor; prints one line, exit 1 if it does
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
header=$top/include/uapi/linux/vgpu.h

id_of() { # id_of NAME: the value of VGPU_PCI_NAME, as 0xNNNN
	local v
	v=$(sed -n "s/^#define VGPU_PCI_$1[[:space:]]\{1,\}\(0x[0-9a-fA-F]\{1,\}\).*/\1/p" "$header")
	[ -n "$v" ] || { echo "vgpu-ids: no VGPU_PCI_$1 in $header" >&2; exit 2; }
	printf '0x%04x\n' "$v"
}

if [ "${1:-}" != --check ]; then
	[ $# -gt 0 ] || { echo "usage: vgpu-ids.sh NAME... | --check [FILE]" >&2; exit 2; }
	for n in "$@"; do
		id_of "$n"
	done
	exit 0
fi

db=${2:-}
if [ -z "$db" ]; then
	for f in /usr/share/misc/pci.ids /usr/share/hwdata/pci.ids; do
		[ -r "$f" ] && db=$f && break
	done
fi
[ -r "$db" ] || { echo "vgpu-ids: no pci.ids (install the pci.ids package)" >&2; exit 2; }
vendor=$(id_of VENDOR_ID)
v=${vendor#0x}
# A vendor line is "vvvv  name"; a subsystem line "\t\tvvvv dddd  name".
if hits=$(grep -inE "^$v[[:space:]]|^"$'\t\t'"$v[[:space:]]" "$db"); then
	echo "vgpu-ids: vendor $vendor is taken in $db:"
	echo "$hits" | head -n 5
	exit 1
fi
echo "vgpu-ids: vendor $vendor is held by no company in $db ($(sed -n 's/^#[[:space:]]*Version:[[:space:]]*//p' "$db" | head -n 1))"
