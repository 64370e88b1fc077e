#!/usr/bin/env python3
"""Small TCP helpers for the Xen interop tests (run in dom0).

  netio.py put HOST PORT FILE    send FILE over one TCP connection, then
                                 half-close and wait for the peer to close
  netio.py cmd HOST PORT CMD     send CMD (a shell line) to a `nc -ll -e sh`
                                 server, half-close, print what comes back
  netio.py pattern N FILE        write N bytes of the guest's /big pattern
                                 (byte i = (i*7 + i/4096) & 0xff)
  netio.py check-pattern FILE N  exit 0 iff FILE is exactly that pattern
"""
import socket
import sys


def put(host, port, path, timeout=120):
    with open(path, 'rb') as f, socket.create_connection((host, port), timeout) as s:
        while True:
            chunk = f.read(1 << 16)
            if not chunk:
                break
            s.sendall(chunk)
        s.shutdown(socket.SHUT_WR)
        while s.recv(4096):
            pass


def cmd(host, port, line, timeout=30):
    out = b''
    with socket.create_connection((host, port), timeout) as s:
        s.sendall(line.encode() + b'\n')
        s.shutdown(socket.SHUT_WR)
        while True:
            b = s.recv(4096)
            if not b:
                break
            out += b
    sys.stdout.write(out.decode(errors='replace'))


def pattern(n):
    # Byte i = (i*7 + i//4096) & 0xff; in page p, offset j, that is
    # (7*j + p) & 0xff (4096*7 = 0 mod 256): page 0 shifted by p.
    base = bytes((7 * j) & 0xff for j in range(4096))
    pages = []
    for p in range((n + 4095) // 4096):
        shift = bytes((k + p) & 0xff for k in range(256))
        pages.append(base.translate(shift))
    return b''.join(pages)[:n]


def main(argv):
    if len(argv) == 5 and argv[1] == 'put':
        put(argv[2], int(argv[3]), argv[4])
    elif len(argv) == 5 and argv[1] == 'cmd':
        cmd(argv[2], int(argv[3]), argv[4])
    elif len(argv) == 4 and argv[1] == 'pattern':
        with open(argv[3], 'wb') as f:
            f.write(pattern(int(argv[2])))
    elif len(argv) == 4 and argv[1] == 'check-pattern':
        n = int(argv[3])
        d = open(argv[2], 'rb').read()
        exp = pattern(n)
        if d != exp:
            bad = next((i for i in range(min(len(d), n)) if d[i] != exp[i]),
                       min(len(d), n))
            sys.exit('length %d (want %d), first difference at %d' % (len(d), n, bad))
        print('all %d bytes match' % n)
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
