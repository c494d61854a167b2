"""Free TCP ports on the loopback interface, chosen at run time."""

import socket

LOOPBACK = "127.0.0.1"


def free_ports(count):
    """Returns `count` distinct ports on 127.0.0.1 that were free a moment ago.

    All sockets are held open together while the kernel picks (port 0), so the ports are distinct
    from each other; they are released before returning, so a later bind can still race with
    another program, which is unlikely on the ephemeral range within the next second.
    """
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port():
    return free_ports(1)[0]


def port_accepts(port, host=LOOPBACK, timeout=0.2):
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
