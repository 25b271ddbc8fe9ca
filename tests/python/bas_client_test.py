#!/usr/bin/env python3
"""bert-serving-client 1.10, frame for frame, against bertserving-start.

Written from the protocol description (../shared/docs/bert-as-service.md section 3), not from the client's code:
the BasClient below sends exactly what bert-serving-client 1.10 sends ([identity, msg, req_id, msg_len] on PUSH,
replies read from SUB with the identity as prefix, the request id from the last frame) and reads replies the way
it does (header JSON, numpy.frombuffer with the header's dtype, reshape). It starts the server itself.

Usage: bas_client_test.py SERVER_DLL
Prints one line per check and ends with "python: N passed, M failed"; exits non-zero on any failure.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
BLOG = [
    "BERT was developed by Google and Nvidia has created an optimized version that uses TensorRT",
    "One drawback of BERT is that only short passages can be queried",
    "I attended a conference in Denver",
]


class BasClient:
    """The parts of bert_serving.client.BertClient 1.10 that touch the wire."""

    def __init__(self, ip, port, port_out, identity=None, timeout_ms=30000, check_version=True):
        self.context = zmq.Context()
        self.sender = self.context.socket(zmq.PUSH)
        self.sender.setsockopt(zmq.LINGER, 0)
        self.identity = identity or str(uuid.uuid4()).encode("ascii")
        self.sender.connect("tcp://%s:%d" % (ip, port))
        self.receiver = self.context.socket(zmq.SUB)
        self.receiver.setsockopt(zmq.LINGER, 0)
        self.receiver.setsockopt(zmq.SUBSCRIBE, self.identity)
        self.receiver.connect("tcp://%s:%d" % (ip, port_out))
        self.receiver.setsockopt(zmq.RCVTIMEO, timeout_ms)
        self.request_id = 0
        self.pending_request = set()
        self.pending_response = {}
        # As the 1.10 client does by default: a server_config round trip at once, no sleep (the slow joiner case).
        config = self.server_config
        if check_version and config["server_version"] != "1.10.0":
            raise AttributeError("version mismatch! server version is %s" % config["server_version"])
        self.length_limit = int(config["max_seq_len"]) if config["max_seq_len"] is not None else None
        self.token_info_available = bool(config["show_tokens_to_client"])

    def close(self):
        self.sender.close()
        self.receiver.close()
        self.context.term()

    def _send(self, msg, msg_len=0):
        self.request_id += 1
        self.sender.send_multipart([self.identity, msg, b"%d" % self.request_id, b"%d" % msg_len])
        self.pending_request.add(self.request_id)
        return self.request_id

    def _recv(self, wait_for_req_id=None):
        while True:
            if wait_for_req_id in self.pending_response:
                return wait_for_req_id, self.pending_response.pop(wait_for_req_id)
            response = self.receiver.recv_multipart()
            request_id = int(response[-1])
            if not wait_for_req_id or wait_for_req_id == request_id:
                self.pending_request.discard(request_id)
                return request_id, response
            self.pending_response[request_id] = response

    def _recv_ndarray(self, wait_for_req_id=None):
        request_id, response = self._recv(wait_for_req_id)
        arr_info, arr_val = json.loads(response[1]), response[2]
        x = np.frombuffer(arr_val, dtype=str(arr_info["dtype"]))
        return request_id, x.reshape(arr_info["shape"]), arr_info.get("tokens", "")

    @property
    def server_config(self):
        req_id = self._send(b"SHOW_CONFIG")
        return json.loads(self._recv(req_id)[1][1])

    @property
    def server_status(self):
        req_id = self._send(b"SHOW_STATUS")
        return json.loads(self._recv(req_id)[1][1])

    def encode(self, texts, blocking=True, is_tokenized=False, show_tokens=False):
        req_id = self._send(json.dumps(texts).encode("utf-8"), len(texts))
        if not blocking:
            return req_id
        _, embedding, tokens = self._recv_ndarray(req_id)
        return (embedding, tokens) if show_tokens and self.token_info_available else embedding


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cosine(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


RESULTS = []


def check(name, fn):
    started = time.monotonic()
    try:
        fn()
        RESULTS.append(True)
        print("PASS %s (%.2f s)" % (name, time.monotonic() - started), flush=True)
    except Exception as e:  # a failed check is reported, the others still run
        RESULTS.append(False)
        print("FAIL %s: %r" % (name, e), flush=True)


def main():
    dll = sys.argv[1]
    port, port_out = free_port(), free_port()
    server = subprocess.Popen(
        ["dotnet", dll, "-cpu", "-port", str(port), "-port_out", str(port_out), "-show_tokens_to_client", "-enable_termination"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = []

    def pump():
        for line in server.stdout:
            log.append(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 120
    while not any("ready to serve" in line for line in log):
        if server.poll() is not None or time.monotonic() > deadline:
            print("".join(log))
            raise SystemExit("the server did not start")
        time.sleep(0.1)

    bc = BasClient("127.0.0.1", port, port_out)
    expected = json.load(open(os.path.join(HERE, "expected-tokens.json"), encoding="utf-8"))

    def config_keys():
        config = bc.server_config
        for key in ["model_dir", "max_seq_len", "pooling_layer", "pooling_strategy", "do_lower_case", "mask_cls_sep",
                    "show_tokens_to_client", "port", "port_out", "num_worker", "max_batch_size", "priority_batch_size",
                    "cpu", "device_map", "client", "num_process", "ventilator -> worker", "worker -> sink",
                    "ventilator <-> sink", "server_current_time", "num_concurrent_socket", "tensorflow_version",
                    "python_version", "server_version", "pyzmq_version", "zmq_version", "server_start_time"]:
            assert key in config, key
        assert config["server_version"] == "1.10.0"
        assert config["max_seq_len"] == 256 and config["pooling_strategy"] == 2 and config["port"] == port
        assert bc.length_limit == 256 and bc.token_info_available

    def encode_blog():
        vec = bc.encode(BLOG)
        assert vec.shape == (3, 384) and vec.dtype == np.float32, (vec.shape, vec.dtype)
        assert cosine(vec[0], vec[1]) > cosine(vec[0], vec[2])

    def encode_tokenized():
        vec, tokens = bc.encode([s.lower().split() for s in BLOG], is_tokenized=True, show_tokens=True)
        assert vec.shape == (3, 384)
        assert tokens[2] == ["[CLS]", "i", "attended", "a", "conference", "in", "denver", "[SEP]"], tokens[2]

    def show_tokens_match_the_dotnet_client():
        vec, tokens = bc.encode(expected["sentences"], show_tokens=True)
        assert vec.shape == (3, 384)
        assert tokens == expected["tokens"], tokens

    def server_status():
        status = bc.server_status
        stat = status["statistic"]
        for key in ["num_data_request", "num_total_seq", "num_sys_request", "num_total_request", "num_total_client",
                    "num_active_client", "avg_request_per_client", "min_size_per_request", "max_size_per_request",
                    "avg_last_two_interval", "avg_request_per_second"]:
            assert key in stat, key
        assert stat["num_data_request"] >= 3 and stat["num_total_seq"] >= 9 and stat["num_active_client"] >= 1, stat

    def async_requests_fetched_out_of_order():
        corpus = [line.strip() for line in open(os.path.join(HERE, "..", "data", "sentences-4000.txt"), encoding="utf-8")][:400]
        big = bc.encode(corpus, blocking=False)
        time.sleep(0.05)
        small = bc.encode(["just one"], blocking=False)
        arrived = []
        while bc.pending_request:
            request_id, x, _ = bc._recv_ndarray()
            arrived.append((request_id, x.shape))
        assert [r for r, _ in arrived] == [small, big], arrived  # the small request overtook the big one
        assert dict(arrived) == {small: (1, 384), big: (400, 384)}

    def multicast():
        identity = str(uuid.uuid4()).encode("ascii")
        a = BasClient("127.0.0.1", port, port_out, identity=identity)
        b = BasClient("127.0.0.1", port, port_out, identity=identity)
        try:
            a.receiver.setsockopt(zmq.RCVTIMEO, 30000)
            b.receiver.setsockopt(zmq.RCVTIMEO, 30000)
            # Drain b's copies of a's config reply and vice versa, then send one request from a.
            time.sleep(0.3)
            for s in (a.receiver, b.receiver):
                while s.poll(0):
                    s.recv_multipart()
            req = a.encode(["multicast to both"], blocking=False)
            ra = a.receiver.recv_multipart()
            rb = b.receiver.recv_multipart()
            assert int(ra[-1]) == req and int(rb[-1]) == req and ra[2] == rb[2]
        finally:
            a.close()
            b.close()

    def bad_request_fails_fast_with_a_readable_error():
        # Bypass the client's own validation: an empty sentence the 1.10 server would silently mangle.
        req = bc._send(json.dumps(["fine", "   "]).encode(), 2)
        started = time.monotonic()
        try:
            bc._recv_ndarray(req)
        except TypeError as e:
            assert "bertserving error BadRequest" in str(e) and "Element 1" in str(e), str(e)
        else:
            raise AssertionError("no error raised")
        assert time.monotonic() - started < 5

    def msg_len_mismatch_is_refused():
        req = bc._send(json.dumps(["one", "two"]).encode(), 3)
        try:
            bc._recv_ndarray(req)
        except TypeError as e:
            assert "msg_len says 3" in str(e), str(e)
        else:
            raise AssertionError("no error raised")

    def terminate():
        sender = bc.context.socket(zmq.PUSH)
        sender.setsockopt(zmq.LINGER, 5000)
        sender.connect("tcp://127.0.0.1:%d" % port)
        sender.send_multipart([b"0", b"TERMINATION", b"0", b"0"])
        sender.close()
        assert server.wait(timeout=30) == 0

    check("server_config keys and version check", config_keys)
    check("encode the blog's sentences", encode_blog)
    check("encode is_tokenized with show_tokens", encode_tokenized)
    check("show_tokens identical to the .NET client's (expected-tokens.json)", show_tokens_match_the_dotnet_client)
    check("server_status statistic keys", server_status)
    check("two async requests fetched out of order", async_requests_fetched_out_of_order)
    check("multicast to two subscribers of one identity", multicast)
    check("bad request fails fast with a readable error", bad_request_fails_fast_with_a_readable_error)
    check("msg_len mismatch is refused", msg_len_mismatch_is_refused)
    check("TERMINATION stops the server cleanly", terminate)
    bc.close()
    if server.poll() is None:
        server.kill()
    passed = sum(RESULTS)
    failed = len(RESULTS) - passed
    print("python: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
