#!/bin/bash
# build-debug-kernel.sh - build, once per machine, the debug kernel used by
# the vgpu debug-kernel test tier (KASAN, lockdep, kmemleak, UBSAN, KUnit,
# fault injection; see scripts/debug-kernel.config).
#
# The kernel comes from Debian's linux-source-6.12, extracted by
# scripts/install-deps.sh (scripts/kernel-release.sh --source-dir).  That
# tree is never written to: everything is built out of tree (O=).
#
# Result, cached outside the work tree:
#
#   $VGPU_CACHE_DIR/debug-kernel/KEY/       (VGPU_CACHE_DIR=/var/cache/vgpu)
#     bzImage              the kernel image           (vm-run.sh --kernel)
#     release              kernel release, one line   (vm-run.sh --release)
#     lib/modules/REL/     installed modules          (vm-run.sh --modules)
#       build -> ../KEY/build   (absolute symlink to the build tree)
#     build/               O= build tree, pruned of objects; KDIR for
#                          make -C KEY/build M=/path/to/module modules
#     .config  System.map  the final configuration and symbol map
#     debug-kernel.config  the fragment the kernel was built from
#     build.log            full configure/build/install output
#     build-info           key inputs and timings
#
# KEY = <linux-source-6.12 package version>-<hash>, the hash covering the
# fragment, the compiler and binutils versions and RECIPE_VERSION below.
# Editing the fragment therefore yields a new directory; old ones are left
# alone (delete them by hand).
#
# The build runs in a temporary directory next to the result and is renamed
# into place only when complete, under an flock, so concurrent callers wait
# for one build instead of racing, and nobody ever sees a half-built tree.
set -euo pipefail

PROG=$(basename "$0")
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CACHE_DIR=${VGPU_CACHE_DIR:-/var/cache/vgpu}
OUT_ROOT=$CACHE_DIR/debug-kernel
FRAGMENT=$SCRIPT_DIR/debug-kernel.config
SOURCE_PKG=linux-source-6.12

# Bump when a change to this script changes what ends up in the cache.
RECIPE_VERSION=1

usage() {
    cat <<EOF
Usage: $PROG [--check | --print-dir] [--jobs N]

Build the vgpu debug kernel (once per machine) into
  $OUT_ROOT/KEY/
with bzImage, release, lib/modules/REL/, and build/ (usable as KDIR).

  (no option)    build if needed; progress and the result go to stderr
  --print-dir    build if needed, then print the cache directory on stdout
  --check        exit 0 if the kernel is already built, 1 if not (no build)
  --jobs N       parallel make jobs (default: nproc = $(nproc))
  -h, --help     show this help

Environment: VGPU_CACHE_DIR (default /var/cache/vgpu).
EOF
}

note() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

MODE=build JOBS=$(nproc)
while (($# > 0)); do
    case $1 in
        --check) MODE=check; shift ;;
        --print-dir) MODE=print; shift ;;
        --jobs)
            (($# >= 2)) || die "--jobs needs an argument"
            JOBS=$2
            shift 2
            ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number"

# ---- cache key --------------------------------------------------------------
[[ -f $FRAGMENT ]] || die "config fragment not found: $FRAGMENT"
SRC=$("$SCRIPT_DIR/kernel-release.sh" --source-dir) || exit 1

for tool in gcc ld dpkg-query sha256sum flock; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
done
if ! PKG_VERSION=$(dpkg-query -W -f='${Version}' "$SOURCE_PKG" 2>/dev/null) ||
    [[ -z $PKG_VERSION ]]; then
    die "$SOURCE_PKG is not installed (run scripts/install-deps.sh)"
fi

key_input() {
    printf 'recipe %s\n' "$RECIPE_VERSION"
    printf 'source %s %s\n' "$SOURCE_PKG" "$PKG_VERSION"
    gcc --version | head -n 1
    ld --version | head -n 1
    cat "$FRAGMENT"
}
HASH=$(key_input | sha256sum | cut -c1-12)
# Keep the directory name plain: '~' (as in "1~deb12u1") and anything else
# unusual becomes '_'.
KEY=$(printf '%s' "$PKG_VERSION" | tr -c 'A-Za-z0-9.+-' '_')-$HASH
FINAL=$OUT_ROOT/$KEY

is_built() { [[ -f $FINAL/release && -f $FINAL/bzImage && -f $FINAL/build/Module.symvers ]]; }

if [[ $MODE == check ]]; then
    if is_built; then exit 0; fi
    exit 1
fi

finish() {
    if [[ $MODE == print ]]; then
        printf '%s\n' "$FINAL"
    else
        note "ready: $FINAL (release $(<"$FINAL/release"))"
    fi
    exit 0
}
is_built && finish

# ---- lock -------------------------------------------------------------------
mkdir -p "$OUT_ROOT"
exec 9>"$OUT_ROOT/.lock"
if ! flock -n 9; then
    note "another build is running; waiting for it (lock $OUT_ROOT/.lock)"
    flock 9
fi
# The other build may have produced exactly what we want.
is_built && finish

# Leftovers of builds that were killed: nobody else holds the lock, so no
# temporary directory is in use.
for d in "$OUT_ROOT"/.tmp-*; do
    [[ -e $d ]] || continue
    note "removing stale $d"
    rm -rf "$d"
done
[[ ! -e $FINAL ]] || die "$FINAL exists but is incomplete; remove it and retry"

# ---- preconditions ----------------------------------------------------------
for tool in make gcc ld flex bison bc perl depmod; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
done
[[ -f /usr/include/libelf.h && -f /usr/include/openssl/ssl.h ]] ||
    die "libelf-dev / libssl-dev headers missing (run scripts/install-deps.sh)"
# An out-of-tree build refuses a configured source tree, and we must not
# clean it ourselves (it is shared and treated as read-only).
if [[ -e $SRC/.config || -d $SRC/include/config ]]; then
    die "$SRC has been configured in place; O= builds need a pristine tree (re-extract it)"
fi
avail_kb=$(df -Pk "$OUT_ROOT" | awk 'NR == 2 { print $4 }')
if ((avail_kb < 3 * 1024 * 1024)); then
    note "warning: only $((avail_kb / 1024)) MiB free under $OUT_ROOT; the build needs about 1.5 GiB (110 MiB kept)"
fi

TMP=$(mktemp -d "$OUT_ROOT/.tmp-$KEY.XXXXXX")
chmod 755 "$TMP" # mktemp makes it 0700; the result is for every user
BUILD=$TMP/build
LOG=$TMP/build.log
FAILED_LOG=$OUT_ROOT/$KEY.failed.log
STEP_PID=""
DONE=0

# shellcheck disable=SC2317 # invoked via trap
cleanup() {
    if [[ -n $STEP_PID ]]; then
        kill -TERM -- "-$STEP_PID" 2>/dev/null || true
        wait "$STEP_PID" 2>/dev/null || true
    fi
    if ((!DONE)); then
        [[ -f $LOG ]] && cp -f "$LOG" "$FAILED_LOG" 2>/dev/null
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT
trap 'note "terminated"; exit 143' TERM

# A clean environment for kbuild: nothing inherited from a calling make
# (MAKEFLAGS, M=, O=, ...) or from the user's shell may change the result.
# LOCALVERSION set but empty: no "+" suffix from setlocalversion.
KMAKE=(env -u ARCH -u CROSS_COMPILE -u KBUILD_OUTPUT -u KBUILD_EXTMOD -u O -u M
    -u KCONFIG_CONFIG -u KCFLAGS -u KCPPFLAGS -u KAFLAGS -u CC -u LD -u LLVM
    -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u W -u C -u V
    LOCALVERSION= CI=true
    make -C "$SRC" O="$BUILD")

now() { date +%s; }
# CPU seconds (user + system) used so far by this script's waited-for
# children, i.e. by the whole build: unlike wall time, it does not depend on
# what else the machine is doing.
cpu_now() {
    local stat fields
    stat=$(<"/proc/$$/stat")
    read -r -a fields <<<"${stat##*) }"
    # fields[0] is field 3 (state); cutime and cstime are fields 16 and 17.
    echo $(((fields[13] + fields[14]) / $(getconf CLK_TCK)))
}
fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# Run one step with its output appended to the log.  While it runs, print a
# heartbeat with the latest log line every minute, so CI sees progress.  On
# failure print the log's tail and stop.
run_step() {
    local desc=$1 t0 last=0 rc=0 line
    shift
    t0=$(now)
    note "$desc"
    printf '\n===== %s: %s\n===== %s\n' "$(date -u +%FT%TZ)" "$desc" "$*" >>"$LOG"
    setsid --wait "$@" </dev/null >>"$LOG" 2>&1 &
    STEP_PID=$!
    while kill -0 "$STEP_PID" 2>/dev/null; do
        sleep 1
        if (($(now) - t0 - last >= 60)); then
            last=$(($(now) - t0))
            line=$(tail -n 1 "$LOG" | cut -c1-100)
            note "  ... $(fmt_time "$last"): $line"
        fi
    done
    wait "$STEP_PID" || rc=$?
    STEP_PID=""
    if ((rc != 0)); then
        note "FAILED: $desc (exit $rc); last lines of the log:"
        tail -n 60 "$LOG" >&2
        note "full log: $FAILED_LOG"
        exit 1
    fi
    note "  done in $(fmt_time $(($(now) - t0)))"
}

# Every CONFIG_ line of the fragment must hold in the final .config.
# "# CONFIG_X is not set" means: not =y/=m/=value (absent is fine).
verify_config() {
    local config=$1 line name want got bad=0
    while IFS= read -r line; do
        if [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
            name=${BASH_REMATCH[1]}
            got=$(grep -m1 "^$name=" "$config" || true)
            if [[ -n $got ]]; then
                note "config: wanted '$name' off, got '$got'"
                bad=1
            fi
        elif [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
            name=${BASH_REMATCH[1]}
            want=${BASH_REMATCH[2]}
            got=$(grep -m1 -E "^$name=|^# $name is not set" "$config" || true)
            if [[ $got != "$name=$want" ]]; then
                note "config: wanted '$name=$want', got '${got:-nothing (symbol unknown or its menu is off)}'"
                bad=1
            fi
        elif [[ $line =~ CONFIG_ && ! $line =~ ^[[:space:]]*# ]]; then
            note "config: cannot parse fragment line: $line"
            bad=1
        fi
    done <"$FRAGMENT"
    ((bad == 0)) || return 1
}

# ---- build ------------------------------------------------------------------
T_START=$(now)
CPU_START=$(cpu_now)
note "building the debug kernel into $FINAL"
note "source $SRC ($SOURCE_PKG $PKG_VERSION), $JOBS jobs"
note "log: $LOG (on failure kept as $FAILED_LOG)"
: >"$LOG"

# Configure: x86_64_defconfig + kvm_guest.config, then our fragment merged
# with merge_config.sh (-m: merge only) and completed by olddefconfig.
run_step "configure: x86_64_defconfig" "${KMAKE[@]}" x86_64_defconfig
run_step "configure: kvm_guest.config" "${KMAKE[@]}" kvm_guest.config
run_step "configure: merge $(basename "$FRAGMENT")" \
    env -C "$SRC" scripts/kconfig/merge_config.sh -m -O "$BUILD" "$BUILD/.config" "$FRAGMENT"
run_step "configure: olddefconfig" "${KMAKE[@]}" olddefconfig
if ! verify_out=$(verify_config "$BUILD/.config" 2>&1); then
    printf '%s\n' "$verify_out" | tee -a "$LOG" >&2
    die "options of $(basename "$FRAGMENT") did not survive olddefconfig (unmet dependencies?); fix the fragment. Log: $FAILED_LOG"
fi
note "configuration verified: every option of the fragment took"
T_CONFIGURED=$(now)

run_step "compile: bzImage and modules (make -j$JOBS; about 17 CPU-minutes, 10-20 minutes on 2 cores)" \
    "${KMAKE[@]}" -j"$JOBS" all
T_COMPILED=$(now)
CPU_COMPILE=$(($(cpu_now) - CPU_START))
note "  compile used $(fmt_time "$CPU_COMPILE") of CPU time ($(fmt_time $((CPU_COMPILE / JOBS))) per job slot)"

RELEASE=$(<"$BUILD/include/config/kernel.release")
[[ $RELEASE =~ ^[A-Za-z0-9._+~-]+$ ]] || die "odd kernel release: $RELEASE"
run_step "install modules" "${KMAKE[@]}" modules_install INSTALL_MOD_PATH="$TMP" DEPMOD=/usr/sbin/depmod
MODDIR=$TMP/lib/modules/$RELEASE
[[ -f $MODDIR/modules.dep ]] || die "modules_install produced no $MODDIR/modules.dep"
# modules_install points build at the temporary path; point it at the
# final one (absolute, so it also resolves inside vm-run.sh guests, which
# see the host root at the same paths).
rm -f "$MODDIR/build" "$MODDIR/source"
ln -s "$FINAL/build" "$MODDIR/build"

cp "$BUILD/arch/x86/boot/bzImage" "$TMP/bzImage"
cp "$BUILD/.config" "$TMP/.config"
cp "$BUILD/System.map" "$TMP/System.map"
cp "$FRAGMENT" "$TMP/debug-kernel.config"
printf '%s\n' "$RELEASE" >"$TMP/release"

# Prune the build tree to what external module builds need: the generated
# headers and config, Module.symvers, scripts/ and tools/ (modpost, objtool,
# fixdep...), the Makefile pointing at the source tree.  Objects, archives
# and the .ko copies go (the modules are installed under lib/).  vmlinux
# stays: with System.map it turns addresses in reports into symbols.
note "pruning the build tree"
before_kb=$(du -sk "$BUILD" | cut -f1)
find "$BUILD" \( -path "$BUILD/scripts" -o -path "$BUILD/tools" \) -prune -o \
    -type f \( -name '*.o' -o -name '*.a' -o -name '*.ko' -o -name '*.mod.c' \
    -o -name '.*.cmd' -o -name '*.mod' -o -name '.tmp_vmlinux*' \) -print0 |
    xargs -0r rm -f
rm -f "$BUILD/arch/x86/boot/compressed/vmlinux" "$BUILD"/arch/x86/boot/compressed/vmlinux.bin* \
    "$BUILD/arch/x86/boot/vmlinux.bin" "$BUILD/arch/x86/boot/setup.elf"
after_kb=$(du -sk "$BUILD" | cut -f1)
note "  build tree: $((before_kb / 1024)) MiB -> $((after_kb / 1024)) MiB"

T_END=$(now)
{
    printf 'key %s\n' "$KEY"
    printf 'release %s\n' "$RELEASE"
    key_input | sed -n '1,4p'
    printf 'source_dir %s\n' "$SRC"
    printf 'jobs %s\n' "$JOBS"
    printf 'built_at %s\n' "$(date -u +%FT%TZ)"
    printf 'seconds_configure %s\n' $((T_CONFIGURED - T_START))
    printf 'seconds_compile %s\n' $((T_COMPILED - T_CONFIGURED))
    printf 'seconds_total %s\n' $((T_END - T_START))
    printf 'cpu_seconds_compile %s\n' "$CPU_COMPILE"
    printf 'cpu_seconds_total %s\n' $(($(cpu_now) - CPU_START))
} >"$TMP/build-info"

# Publish atomically.
mv -T "$TMP" "$FINAL"
DONE=1
note "built $RELEASE in $(fmt_time $((T_END - T_START))) (compile $(fmt_time $((T_COMPILED - T_CONFIGURED))))"
# The log now lives in the result; an older failure log is obsolete.
rm -f "$FAILED_LOG"
finish
