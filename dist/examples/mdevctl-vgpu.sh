#!/bin/sh
# Example: a persistent vGPU with its scheduling knobs, kept by mdevctl in
# /etc/mdevctl.d/vgpu0/UUID. "--auto" makes mdevctl's udev rule create it
# again whenever the parent vgpu0 registers (module load, boot); the
# attributes are written, in order, into /sys/bus/mdev/devices/UUID/ right
# after the creation, before any VM can use the vGPU.
set -e
uuid=${1:-$(cat /proc/sys/kernel/random/uuid)}
mdevctl define --uuid "$uuid" --parent vgpu0 --type vgpu-split --auto
mdevctl modify --uuid "$uuid" --addattr=vgpu/weight --value=20
mdevctl modify --uuid "$uuid" --addattr=vgpu/cap_permille --value=500
mdevctl modify --uuid "$uuid" --addattr=vgpu/priority --value=high
mdevctl start --uuid "$uuid"
mdevctl list --defined --uuid "$uuid" --dumpjson
