"""The serial line of a simulated module: the pty and its reader, framed writes, and the pacing of
unsolicited result codes (URCs) the way python-gsmmodem needs them.

One Condition (``Line.cond``) guards the line: the file descriptor, whether a client listens, whether a
command holds the line ("reserved"), and the URC pacer's state. Lock order of the modem: its state lock,
then ``Line.cond``, then the journal (a leaf).
"""

import fcntl
import os
import queue
import select
import struct
import termios
import threading
import time
import tty


class Line:
    """A pty whose slave path is the module's port; bytes read go to ``on_input((generation, data))``,
    ``("hangup", generation)`` when the last client closed it."""

    def __init__(self, name, link, journal, on_input):
        self.name = name
        self.link = link
        self._journal = journal
        self._on_input = on_input
        self.cond = threading.Condition()      # writes, connected, reserved, URC pacing
        self.running = False
        self.fd = None
        self.slave_path = None
        self.generation = 0                    # bumped by each new pty (unplug, replug)
        self.connected = False
        self.reserved = False                  # a command is being answered, or a "> " prompt is pending
        self.last_rx = 0.0
        self._wake_r = self._wake_w = None
        self._reader = None
        self._stopping = threading.Event()

    @property
    def is_open(self):
        return self.fd is not None

    def open(self):
        self._stopping.clear()
        master, slave = os.openpty()
        tty.setraw(slave)
        slave_path = os.ttyname(slave)
        os.close(slave)          # not held open: the kernel then discards output nobody reads, as a UART does
        os.set_blocking(master, False)
        self._wake_r, self._wake_w = os.pipe()
        with self.cond:
            self.fd = master
            self.generation += 1
            self.connected = False
        self.slave_path = slave_path
        if self.link:
            os.makedirs(os.path.dirname(os.path.abspath(self.link)), exist_ok=True)
            tmp = f"{self.link}.{os.getpid()}.tmp"
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.symlink(slave_path, tmp)
            os.replace(tmp, self.link)
        self._reader = threading.Thread(target=self._read_loop, args=(master, self._wake_r, self.generation),
                                        name=f"{self.name}-reader", daemon=True)
        self._reader.start()

    def close(self, stopping=False):
        if stopping:
            self._stopping.set()
        with self.cond:
            fd, self.fd = self.fd, None
            self.connected = False
            self.cond.notify_all()
        if self.link and os.path.islink(self.link) and os.readlink(self.link) == self.slave_path:
            os.unlink(self.link)
        if self._wake_w is not None:
            os.write(self._wake_w, b"x")
        if self._reader and self._reader is not threading.current_thread():
            self._reader.join(5)
        for f in (fd, self._wake_r, self._wake_w):
            if f is not None:
                try:
                    os.close(f)
                except OSError:
                    pass
        self._wake_r = self._wake_w = None

    def _read_loop(self, fd, wake, gen):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.register(wake, select.POLLIN)
        while True:
            hup = False
            for rfd, mask in poller.poll():
                if rfd == wake:
                    return
                if mask & select.POLLIN:
                    try:
                        data = os.read(fd, 4096)
                    except OSError:
                        data = b""
                    if data:
                        self.last_rx = time.monotonic()
                        self._set_connected(True)
                        self._on_input((gen, data))
                        continue
                if mask & (select.POLLHUP | select.POLLERR):
                    hup = True
                if mask & select.POLLNVAL:
                    return
            if hup:
                # No process has the slave open: the kernel offers no event for "opened", so look again
                # every 20 ms until a client appears (the only timed wait, and only while nobody listens).
                self._set_connected(False)
                if self._stopping.wait(0.02):
                    return
                r, _, _ = select.select([wake], [], [], 0)
                if r:
                    return

    def _set_connected(self, value):
        with self.cond:
            if self.connected == value:
                return
            self.connected = value
            self.cond.notify_all()
        if not value:
            self._on_input(("hangup", self.generation))
        self._journal.event("client_connected" if value else "client_closed")

    def write(self, data: bytes):
        """Write to the line; dropped when no client listens (a UART talking to nobody)."""
        with self.cond:
            self.write_locked(data)

    def write_locked(self, data: bytes):
        fd = self.fd
        if fd is None:
            return
        view = memoryview(data)
        deadline = time.monotonic() + 2.0
        while view:
            try:
                n = os.write(fd, view)
                view = view[n:]
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._journal.event("output_dropped", bytes=len(view))
                    return
                select.select([], [fd], [], left)
            except OSError:
                return

    def reserve(self, value):
        with self.cond:
            self.reserved = value
            self.cond.notify_all()

    def client_pending(self) -> int:
        """Bytes written to the client and not yet read by it (0 when unknown)."""
        try:
            fd = os.open(self.slave_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except (OSError, TypeError):
            return 0
        try:
            return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
        except OSError:
            return 0
        finally:
            os.close(fd)


class UrcPacer:
    """Unsolicited lines, one at a time, only between commands, after the client has read the previous ones
    and the line has been quiet for ``guard`` seconds; after a +CMTI/+CDSI, until the client deleted that
    slot (at most ``reaction`` seconds). python-gsmmodem swallows lines that arrive while it waits for an
    answer, and hands a burst of lines to one handler that serves only the first URC."""

    def __init__(self, line, journal, is_hung, guard=0.02, reaction=1.0):
        self.line = line
        self._journal = journal
        self._is_hung = is_hung
        self.guard = float(guard)
        self.reaction = float(reaction)
        self.paused = False
        self.last_urc = 0.0
        self.awaiting = None               # (memory, index) of the last +CMTI/+CDSI, until deleted
        self._queue = queue.Queue()

    def put(self, text, awaits=None):
        self._queue.put((text, awaits))

    def reset(self):
        """Forget every queued line (power lost), and restart with an empty queue."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break

    def fresh(self):
        self._queue = queue.Queue()

    def close(self):
        self._queue.put(None)

    def pause(self, value):
        with self.line.cond:
            self.paused = value
            self.line.cond.notify_all()

    def slot_deleted(self, memory, remaining):
        """The client deleted slots of ``memory``: the announced one may be gone (caller holds no line lock)."""
        with self.line.cond:
            if self.awaiting and self.awaiting[0] == memory and self.awaiting[1] not in remaining:
                self.awaiting = None         # the client is done with the announced slot
                self.line.cond.notify_all()

    def _quiet_in(self):
        """Seconds until the line has been quiet for the guard (0 when it has): no byte from the client and no
        URC from us, which leaves a client time to react to the previous URC (read the +CDSI slot...)."""
        return max(0.0, max(self.line.last_rx, self.last_urc) + self.guard - time.monotonic())

    def _blocked(self):
        line = self.line
        busy = line.connected and self._quiet_in() > 0
        return line.running and (line.reserved or self._is_hung() or busy or self.paused)

    def run(self):
        line = self.line
        while True:
            item = self._queue.get()
            if item is None:
                return
            text, awaits = item
            data = f"\r\n{text}\r\n".encode()
            while True:
                with line.cond:
                    while self._blocked():
                        line.cond.wait(self._quiet_in() or 1.0)
                    if not line.running:
                        return
                    connected = line.connected
                if connected:
                    # let the client drain what it already has, so that this URC is read as its own burst
                    waited = False
                    for _ in range(500):
                        if line.client_pending() == 0:
                            break
                        waited = True
                        time.sleep(0.002)
                    # the library checks for more bytes right after each line: keep URCs apart by at least as
                    # long as the client took to read the last one (a loaded machine reads slowly)
                    drained = time.monotonic()
                    took = min(0.2, max(0.0, drained - self.last_urc)) if waited and self.last_urc else 0.0
                    gap = max(self.last_urc + 0.003, drained + took) - drained
                    if gap > 0:
                        time.sleep(gap)
                with line.cond:
                    if self._blocked():
                        continue          # the client spoke meanwhile: wait for the line to be quiet again
                    # with nobody listening the kernel discards the line, as a UART talking to nobody
                    line.write_locked(data)
                    self.last_urc = time.monotonic()
                    if awaits and connected:
                        self.awaiting = awaits
                    break
            self._journal.event("urc", line=text)
            if awaits and connected:
                with line.cond:
                    deadline = self.last_urc + self.reaction
                    while line.running and self.awaiting == awaits and time.monotonic() < deadline:
                        line.cond.wait(deadline - time.monotonic())
                    self.awaiting = None
