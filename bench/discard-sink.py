#!/usr/bin/env python3
"""Answers one HTTP PUT on 127.0.0.1:PORT after reading and discarding its body (Content-Length).

bench/compare times a curl upload to it: what moving the bytes over loopback costs on this machine,
with no storage and no hashing, as a floor for the registries' raw ingest.
"""
import re
import socket
import sys

port = int(sys.argv[1])
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(1)
print("ready", flush=True)
conn, _ = server.accept()
head = b""
while b"\r\n\r\n" not in head:
    piece = conn.recv(65536)
    if not piece:
        sys.exit(1)
    head += piece
headers, body = head.split(b"\r\n\r\n", 1)
length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", headers).group(1))
received = len(body)
buffer = memoryview(bytearray(1 << 20))
while received < length:
    n = conn.recv_into(buffer)
    if n == 0:
        break
    received += n
conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
conn.close()
