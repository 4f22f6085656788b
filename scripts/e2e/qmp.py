#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""qmp.py - send one command to a QEMU's QMP socket, or wait for a migration.

Usage:
  qmp.py SOCKET COMMAND [JSON-ARGUMENTS]   print the "return" value as JSON
  qmp.py SOCKET migrate-wait [SECONDS]     poll query-migrate until it ends;
                                           print one line of figures

The e2e migration run (scripts/e2e/migrate-e2e.sh) drives its guests' QEMUs
with it. Exit status: 0 on success, 1 if QEMU answered with an error or the
migration did not complete, 2 on usage or connection errors.
"""
import json
import socket
import sys
import time


class Qmp:
    """One QMP session: greeting, qmp_capabilities, then commands."""

    def __init__(self, path, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        # A QEMU whose main loop is stuck answers nothing: fail, not hang.
        self.sock.settimeout(timeout)
        self.file = self.sock.makefile("rw")
        self._read()                    # the greeting
        self.command("qmp_capabilities")

    def _read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise ConnectionError("QMP socket closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def command(self, name, args=None):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        self.file.write(json.dumps(req) + "\n")
        self.file.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(reply["error"].get("desc", str(reply)))
        return reply.get("return")


def migrate_wait(qmp, seconds):
    """Poll until the migration completes or fails; one line of figures."""
    deadline = time.monotonic() + seconds
    shown = time.monotonic()
    while True:
        info = qmp.command("query-migrate")
        status = info.get("status", "none")
        if status in ("completed", "failed", "cancelled"):
            break
        if time.monotonic() - shown > 20:
            shown = time.monotonic()
            print("qmp.py: migration %s, %s RAM bytes, %s device bytes so far"
                  % (status, info.get("ram", {}).get("transferred", "?"),
                     info.get("vfio", {}).get("transferred", "?")),
                  file=sys.stderr)
        if time.monotonic() > deadline:
            status = "timeout"
            break
        time.sleep(0.5)
    ram = info.get("ram", {})
    vfio = info.get("vfio", {})
    print("status=%s total_ms=%s downtime_ms=%s setup_ms=%s ram_bytes=%s "
          "vfio_bytes=%s error=%s" % (
              status, info.get("total-time", "?"), info.get("downtime", "?"),
              info.get("setup-time", "?"), ram.get("transferred", "?"),
              vfio.get("transferred", "?"),
              json.dumps(info.get("error-desc", ""))))
    return 0 if status == "completed" else 1


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        qmp = Qmp(argv[1])
    except (OSError, ConnectionError, ValueError) as e:
        print("qmp.py: cannot talk to %s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    try:
        if argv[2] == "migrate-wait":
            return migrate_wait(qmp, float(argv[3]) if len(argv) > 3 else 600)
        args = json.loads(argv[3]) if len(argv) > 3 else None
        print(json.dumps(qmp.command(argv[2], args)))
        return 0
    except RuntimeError as e:
        print("qmp.py: %s: %s" % (argv[2], e), file=sys.stderr)
        return 1
    except (OSError, ConnectionError) as e:
        print("qmp.py: %s: connection lost or no answer: %s" % (argv[2], e),
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
