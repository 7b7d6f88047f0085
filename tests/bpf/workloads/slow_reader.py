#!/usr/bin/env python3
# slow_reader.py FIFO OUT: the reader of a pipe that fills at once (4 KiB)
# and is read only when told: the writer blocks in write(2) meanwhile.
#
# Opens FIFO for reading without waiting for a writer, shrinks the pipe to a
# page, creates FIFO.ready; once FIFO.go exists, copies everything to OUT
# until the writer closes its end.
import fcntl
import os
import sys
import time

F_SETPIPE_SZ = 1031


def main():
    fifo, out = sys.argv[1], sys.argv[2]
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    fcntl.fcntl(fd, F_SETPIPE_SZ, 4096)
    open(fifo + ".ready", "w").close()
    while not os.path.exists(fifo + ".go"):
        time.sleep(0.01)
    os.set_blocking(fd, True)
    with open(out, "wb") as f:
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            f.write(chunk)


main()
