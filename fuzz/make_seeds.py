#!/usr/bin/env python3
"""Write the hand-made seed inputs of fuzz/corpus/<harness>/.

Each seed is a small valid input in the layout its harness documents at
the top of fuzz/<harness>.c.  The files are committed; run this again
only after changing a layout:  python3 fuzz/make_seeds.py
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

# netif.h
TXF_CSUM_BLANK, TXF_DATA_VALIDATED, TXF_MORE, TXF_EXTRA = 1, 2, 4, 8
RXF_DATA_VALIDATED, RXF_CSUM_BLANK, RXF_MORE, RXF_EXTRA = 1, 2, 4, 8
EXTRA_GSO, EXTRA_MCAST_ADD = 1, 2
GSO_TCPV4 = 1


def tx_slot(gref, off, flags, rid, size):
    return struct.pack("<IHHHH", gref, off, flags, rid, size)


def tx_extra_gso(mss, more=0):
    return struct.pack("<BBHBBH", EXTRA_GSO, more, mss, GSO_TCPV4, 0, 0) \
        + b"\0" * 4


def tx_extra_mcast(addr):
    return struct.pack("<BB", EXTRA_MCAST_ADD, 0) + bytes(addr) + b"\0" * 4


def rx_rsp(rid, off, flags, status):
    return struct.pack("<HHHh", rid, off, flags, status)


def rx_extra_gso(mss):
    return struct.pack("<BBHBBH", EXTRA_GSO, 0, mss, GSO_TCPV4, 0, 0)


# An Ethernet + IPv4 + UDP header of a 62-byte frame with a partial
# checksum (the UDP checksum field holds 0).
UDP_HDR = bytes([
    0, 0x16, 0x3e, 0, 0, 2, 0, 0x16, 0x3e, 0, 0, 1, 0x08, 0x00,
    0x45, 0, 0, 48, 0, 1, 0, 0, 64, 17, 0, 0,
    10, 0, 0, 1, 10, 0, 0, 2,
    0x30, 0x39, 0x00, 0x07, 0, 28, 0, 0,
])


def write(harness, name, data):
    d = os.path.join(ROOT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def parse_seeds():
    def tx(slots, avail=None):
        avail = len(slots) if avail is None else avail
        return bytes([0, avail, 18, 20, 0, 0, 0, 0, 8]) + b"".join(slots)

    def rx(rsps, first=0):
        return bytes([1, len(rsps), 18, 0]) + struct.pack("<I", first) + \
            bytes([8]) + b"".join(rsps)

    write("fuzz_parse", "tx_single", tx([tx_slot(8, 0, 0, 1, 60)]))
    write("fuzz_parse", "tx_multi_zero_len", tx([
        tx_slot(8, 4000, TXF_MORE, 1, 4692),
        tx_slot(9, 0, TXF_MORE, 2, 4096),
        tx_slot(10, 0, TXF_MORE, 3, 0),
        tx_slot(11, 10, 0, 4, 500)]))
    write("fuzz_parse", "tx_gso_extra", tx([
        tx_slot(8, 0, TXF_EXTRA | TXF_CSUM_BLANK, 9, 1000),
        tx_extra_gso(1448)]))
    write("fuzz_parse", "tx_mcast_dummy", tx([
        tx_slot(8, 0, TXF_EXTRA, 3, 0),
        tx_extra_mcast([1, 0, 0x5e, 0, 0, 1])]))
    write("fuzz_parse", "rx_single", rx([rx_rsp(0, 0, 0, 60)]))
    write("fuzz_parse", "rx_multi", rx([
        rx_rsp(5, 0, RXF_MORE | RXF_CSUM_BLANK, 4096),
        rx_rsp(6, 0, RXF_MORE, 4096),
        rx_rsp(7, 0, 0, 1808)], first=5))
    write("fuzz_parse", "rx_gso_extra", rx([
        rx_rsp(0, 0, RXF_EXTRA, 1000), rx_extra_gso(1448)]))


def xs_msg(mtype, payload, req_id=1, tx_id=0):
    return struct.pack("<IIII", mtype, req_id, tx_id, len(payload)) + payload


def xs_wire_seeds():
    XS_DIRECTORY, XS_READ, XS_WATCH = 1, 2, 4
    XS_TRANSACTION_START, XS_TRANSACTION_END = 6, 7
    XS_INTRODUCE, XS_GET_DOMAIN_PATH, XS_WRITE, XS_RM = 8, 10, 11, 13
    XS_SET_PERMS, XS_DIRECTORY_PART = 14, 22
    fe = b"/local/domain/1/device/vif/0"
    write("fuzz_xs_wire", "read", xs_msg(XS_READ, fe + b"/state\0"))
    write("fuzz_xs_wire", "write", xs_msg(XS_WRITE, fe + b"/state\0" + b"4"))
    write("fuzz_xs_wire", "watch", xs_msg(XS_WATCH, fe + b"\0tok\0"))
    write("fuzz_xs_wire", "set_perms",
          xs_msg(XS_SET_PERMS, fe + b"\0n1\0r0\0"))
    write("fuzz_xs_wire", "txn", xs_msg(XS_TRANSACTION_START, b"\0") +
          xs_msg(XS_WRITE, b"data/x\0" + b"1", tx_id=5) +
          xs_msg(XS_TRANSACTION_END, b"T\0", tx_id=5))
    write("fuzz_xs_wire", "directory_part",
          xs_msg(XS_DIRECTORY_PART, b"/local/domain\0" + b"0\0") +
          xs_msg(XS_DIRECTORY, b"/local\0"))
    write("fuzz_xs_wire", "domains",
          xs_msg(XS_GET_DOMAIN_PATH, b"7\0") +
          xs_msg(XS_INTRODUCE, b"7\0" + b"1234\0" + b"3\0") +
          xs_msg(XS_RM, b"/local/domain/7\0"))


def back_tx_seeds():
    def inp(slots, mode=0, prod=0, payload=b""):
        return bytes([mode]) + struct.pack("<I", prod) + b"\0" * 12 + \
            bytes([len(payload)]) + payload + b"".join(slots)

    write("fuzz_back_tx", "single", inp([tx_slot(0, 0, 0, 7, 60)]))
    write("fuzz_back_tx", "udp_partial_csum",
          inp([tx_slot(0, 0, TXF_CSUM_BLANK, 1, 62)], payload=UDP_HDR))
    write("fuzz_back_tx", "multi_zero_len", inp([
        tx_slot(1, 4000, TXF_MORE, 1, 4692),
        tx_slot(2, 0, TXF_MORE, 2, 4096),
        tx_slot(4, 0, TXF_MORE, 3, 0),
        tx_slot(3, 10, 0, 4, 500)]))
    write("fuzz_back_tx", "gso_extra", inp([
        tx_slot(5, 0, TXF_EXTRA | TXF_DATA_VALIDATED, 9, 1000),
        tx_extra_gso(1448)]))
    write("fuzz_back_tx", "mcast_dummy", inp([
        tx_slot(0, 0, TXF_EXTRA, 3, 0),
        tx_extra_mcast([1, 0, 0x5e, 0, 0, 1])]))
    write("fuzz_back_tx", "prod_overflow", inp([], mode=2, prod=300))
    write("fuzz_back_tx", "refill_stream",
          inp([tx_slot(0, 0, 0, 1, 60), tx_slot(1, 0, 0, 2, 61)], mode=8))
    write("fuzz_back_tx", "bad_gref", inp([tx_slot(9, 0, 0, 1, 60),
                                           tx_slot(0, 0, 0, 2, 60)]))

    def rx_section(reqs, lens, rxmode=1):
        return bytes([len(reqs), len(lens), rxmode]) + \
            b"".join(struct.pack("<HHI", rid, 0, gref) for rid, gref in reqs) + \
            b"".join(struct.pack("<H", n) for n in lens)

    # frames toward the frontend through the buffers it posted
    write("fuzz_back_tx", "rx_frames",
          bytes([0x40]) + b"\0" * 16 + b"\0" +
          rx_section([(i, i) for i in range(6)], [60, 5000, 100]) +
          tx_slot(0, 0, 0, 1, 60))
    # no buffers posted: the frames wait in the bounded queue
    write("fuzz_back_tx", "rx_no_buffers",
          bytes([0x40]) + b"\0" * 16 + b"\0" +
          rx_section([], [1500] * 8))


def front_rsp_seeds():
    def cmd(op, a=0, b=0, c=0, d=0, e=0):
        return bytes([op, a, b, c, d, e])

    SEND, TXR, RXR, RXX, PUBT, PUBR, KICK = 0, 1, 2, 3, 4, 5, 6
    write("fuzz_front_rsp", "tx_in_order",
          b"\0" + cmd(SEND, 99, 0) + cmd(SEND, 199, 0, 0, 1, 7) +
          cmd(TXR) + cmd(TXR) + cmd(PUBT) + cmd(KICK))
    write("fuzz_front_rsp", "tx_multi_slot_partial",
          b"\0" + cmd(SEND, 0x87, 0x13) + cmd(TXR) + cmd(PUBT) +
          cmd(KICK) + cmd(SEND, 99) + cmd(TXR) + cmd(TXR) + cmd(PUBT) +
          cmd(KICK))
    write("fuzz_front_rsp", "rx_frames",
          b"\0" + cmd(RXR, 0, 0, 60) + cmd(RXR, 0, 0, 0, 0x10, 0x10) +
          cmd(RXR, 0, 0, 0, 0x10, 0x10) + cmd(RXR, 0, 0, 0xe8, 3) +
          cmd(PUBR) + cmd(KICK))
    write("fuzz_front_rsp", "rx_gso_extra",
          b"\0" + cmd(RXR, 0, 0, 0xe8, 3, RXF_EXTRA << 2) +
          cmd(RXX, EXTRA_GSO, 0, 0xa8, 5, GSO_TCPV4) + cmd(PUBR) +
          cmd(KICK))
    write("fuzz_front_rsp", "no_sg", b"\x01" + cmd(SEND, 99) + cmd(TXR) +
          cmd(PUBT) + cmd(KICK))
    # the finding of tests/test_fuzz_regress.c (first id reused)
    write("fuzz_front_rsp", "regress_first_id_reuse",
          b"\0" + cmd(SEND, 0x87, 0x13, 0, 0, 0x11) + cmd(TXR) + cmd(PUBT) +
          cmd(KICK) + cmd(SEND, 0x63, 0, 0, 0, 0x22))


def handshake_seeds():
    def cmd(op, key=0, val=0, raw=b""):
        if raw:
            return bytes([op, key, 0xff, len(raw)]) + raw
        return bytes([op, key, val, 0])

    POLL_BOTH, START, SEND, GIVE_UP = 3 << 1, 4 << 1, 6 << 1, 7 << 1
    OWNER = 1 << 4
    write("fuzz_handshake", "connect_and_send",
          b"\x03" + cmd(POLL_BOTH) * 4 + cmd(SEND, 2) + cmd(POLL_BOTH) * 2)
    write("fuzz_handshake", "front_first_then_close",
          b"\x00" + cmd(START, 1) + cmd(POLL_BOTH) + cmd(START, 0) +
          cmd(POLL_BOTH) * 4 + cmd(GIVE_UP, 1) + cmd(POLL_BOTH) * 3)
    write("fuzz_handshake", "untrusted_bad_ring_ref",
          b"\x07" + cmd(POLL_BOTH) * 2 +
          cmd(OWNER, 1, raw=b"abc") + cmd(OWNER, 0, 1) +
          cmd(POLL_BOTH) * 4)
    # the finding of tests/test_fuzz_regress.c (backend state Unknown)
    write("fuzz_handshake", "regress_backend_unknown",
          bytes([0xff, 0x96, 0x96, 0x96, 0x96, 0xd1, 0, 0, 0]))
    write("fuzz_handshake", "backend_disables",
          b"\x03" + cmd(POLL_BOTH) * 4 + cmd(GIVE_UP, 0, 5) +
          cmd(POLL_BOTH) * 4)


if __name__ == "__main__":
    parse_seeds()
    xs_wire_seeds()
    back_tx_seeds()
    front_rsp_seeds()
    handshake_seeds()
