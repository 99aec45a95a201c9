"""Development Kafka broker: librdkafka's mock cluster, started in-process through ctypes.

A development convenience for `trident up` and the tests when no KAFKA_BOOTSTRAP_SERVERS is
configured. It speaks the Kafka wire protocol on loopback sockets; it is never the production path.
"""

from __future__ import annotations

import ctypes
import glob
import os
import selectors
import socket
import threading
from collections.abc import Iterable
from contextlib import suppress

import confluent_kafka

_RD_KAFKA_PRODUCER = 0


def _load_librdkafka() -> ctypes.CDLL:
    libs_dir = os.path.join(os.path.dirname(os.path.dirname(confluent_kafka.__file__)), "confluent_kafka.libs")
    candidates = sorted(glob.glob(os.path.join(libs_dir, "librdkafka*.so*")))
    if not candidates:
        raise RuntimeError(f"librdkafka not found in {libs_dir}; is confluent-kafka installed from a wheel?")
    lib = ctypes.CDLL(candidates[0])
    lib.rd_kafka_conf_new.restype = ctypes.c_void_p
    lib.rd_kafka_conf_set.argtypes = [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t,
    ]
    lib.rd_kafka_conf_set.restype = ctypes.c_int
    lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_new.restype = ctypes.c_void_p
    lib.rd_kafka_destroy.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_mock_cluster_new.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.rd_kafka_mock_cluster_new.restype = ctypes.c_void_p
    lib.rd_kafka_mock_cluster_destroy.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_mock_cluster_bootstraps.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_mock_cluster_bootstraps.restype = ctypes.c_char_p
    lib.rd_kafka_mock_topic_create.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
    lib.rd_kafka_mock_topic_create.restype = ctypes.c_int
    lib.rd_kafka_mock_group_initial_rebalance_delay_ms.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.rd_kafka_mock_group_initial_rebalance_delay_ms.restype = None
    lib.rd_kafka_mock_broker_set_down.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.rd_kafka_mock_broker_set_down.restype = ctypes.c_int
    lib.rd_kafka_mock_broker_set_up.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.rd_kafka_mock_broker_set_up.restype = ctypes.c_int
    return lib


class BootstrapPort:
    """A fixed loopback port that forwards to the mock cluster's own, which the kernel picks anew on every start.

    Only the bootstrap goes through here: the metadata a client reads names the broker's real address, and the
    client then talks to it directly, so the services' traffic never passes this thread. The point is that
    `kcat -b 127.0.0.1:9192` and saved tool settings keep working across restarts.
    """

    def __init__(self, host: str, port: int, target: tuple[str, int]) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._listener.bind((host, port))
        except OSError:
            self._listener.close()
            raise
        self._listener.listen(16)
        self._listener.setblocking(False)
        self.address = f"{host}:{port}"
        self._target = target
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._peers: dict[socket.socket, socket.socket] = {}
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="kafka-bootstrap-port", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping:
            for key, _ in self._selector.select(timeout=0.2):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._listener:
                    self._accept()
                else:
                    self._pump(sock)

    def _accept(self) -> None:
        with suppress(BlockingIOError):
            client, _ = self._listener.accept()
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                return
            for one, other in ((client, upstream), (upstream, client)):
                one.setblocking(True)
                one.settimeout(5)
                self._peers[one] = other
                self._selector.register(one, selectors.EVENT_READ)

    def _pump(self, sock: socket.socket) -> None:
        other = self._peers.get(sock)
        try:
            data = sock.recv(65536)
            if data and other is not None:
                other.sendall(data)
                return
        except OSError:
            pass
        for end in (sock, other):
            if end is not None and end in self._peers:
                self._selector.unregister(end)
                del self._peers[end]
                end.close()

    def close(self) -> None:
        self._stopping = True
        self._thread.join(timeout=2)
        for sock in [*self._peers, self._listener]:
            sock.close()
        self._peers.clear()
        self._selector.close()


class DevBroker:
    """A Kafka-protocol mock cluster living as long as this object (and this process)."""

    def __init__(self, brokers: int = 1) -> None:
        self._lib = _load_librdkafka()
        errstr = ctypes.create_string_buffer(512)
        conf = self._lib.rd_kafka_conf_new()
        # Keep the carrier handle quiet: it only hosts the mock cluster.
        self._lib.rd_kafka_conf_set(conf, b"log_level", b"0", errstr, len(errstr))
        self._rk = self._lib.rd_kafka_new(_RD_KAFKA_PRODUCER, conf, errstr, len(errstr))
        if not self._rk:
            raise RuntimeError(f"rd_kafka_new failed: {errstr.value.decode()}")
        self._cluster = self._lib.rd_kafka_mock_cluster_new(self._rk, brokers)
        if not self._cluster:
            self._lib.rd_kafka_destroy(self._rk)
            raise RuntimeError("rd_kafka_mock_cluster_new failed")
        # No initial rebalance delay: by default the mock waits 3 s before a group's first assignment, which
        # every consumer's start (and every restarted process) would wait out.
        self._lib.rd_kafka_mock_group_initial_rebalance_delay_ms(self._cluster, 0)
        self.bootstrap_servers: str = self._lib.rd_kafka_mock_cluster_bootstraps(self._cluster).decode()
        self._fixed: BootstrapPort | None = None

    def listen_on(self, port: int) -> str:
        """Also take bootstrap connections on `port` of the broker's host; returns that address for tools.

        Raises OSError when something else has the port.
        """
        host, _, real = self.bootstrap_servers.split(",")[0].rpartition(":")
        self._fixed = BootstrapPort(host, port, (host, int(real)))
        return self._fixed.address

    def create_topics(self, topics: Iterable[str], partitions: int = 1) -> None:
        for topic in topics:
            err = self._lib.rd_kafka_mock_topic_create(self._cluster, topic.encode(), partitions, 1)
            if err != 0:
                raise RuntimeError(f"could not create topic {topic!r}: librdkafka error {err}")

    def set_down(self, broker_id: int = 1) -> None:
        """Close the broker's connections and refuse new ones, as a broker that went away (for tests of outages)."""
        self._lib.rd_kafka_mock_broker_set_down(self._cluster, broker_id)

    def set_up(self, broker_id: int = 1) -> None:
        self._lib.rd_kafka_mock_broker_set_up(self._cluster, broker_id)

    def close(self) -> None:
        if self._fixed is not None:
            self._fixed.close()
            self._fixed = None
        if self._cluster:
            self._lib.rd_kafka_mock_cluster_destroy(self._cluster)
            self._cluster = None
        if self._rk:
            self._lib.rd_kafka_destroy(self._rk)
            self._rk = None
