#!/usr/bin/env python3
"""A Fluentd in_http stand-in in Python, for the kit-like run of issue 12 (bench/README.md).

    STANDIN_KEY_PASSPHRASE=... bench/fluentd-standin.py --cert server.crt --key server.key --ca ca.crt

The files are those `configure` writes; the server key's passphrase comes from the environment.

Listens on 127.0.0.1 over mutual TLS (a client certificate from --ca is required), takes POSTs of a
JSON object or a JSON array of objects as Fluentd's in_http does (parsing every body) and answers 200
with an empty body, keeping connections open (HTTP/1.1). A second, plain-HTTP port answers GET
/count with the number of events taken so far. Prints "PORT <tls port> <count port>" once listening.
Only the standard library: it runs wherever python3 does.
"""
import argparse
import http.server
import json
import os
import ssl
import sys
import threading

events = 0
requests = 0
lock = threading.Lock()


class Intake(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global events, requests
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            parsed = json.loads(body)
        except ValueError:
            self.answer(400, b"400 Bad Request\n")
            return
        count = len(parsed) if isinstance(parsed, list) else 1
        with lock:
            events += count
            requests += 1
        self.answer(200, b"")

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class Count(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with lock:
            body = f"{events} {requests}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ca", required=True)
    args = parser.parse_args()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key, password=os.environ.get("STANDIN_KEY_PASSPHRASE"))
    context.load_verify_locations(args.ca)
    context.verify_mode = ssl.CERT_REQUIRED
    intake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Intake)
    intake.socket = context.wrap_socket(intake.socket, server_side=True)
    count = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Count)
    threading.Thread(target=count.serve_forever, daemon=True).start()
    print(f"PORT {intake.server_address[1]} {count.server_address[1]}", flush=True)
    intake.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
