"""A loopback HTTPS server with a self-signed certificate made on the spot (tests, bench).

    with LoopbackHttpsServer({"/.well-known/mta-sts.txt": POLICY}, ["mta-sts.example.com"],
                             tmp_path) as https:
        https.port, https.ca_file   # give these to HttpxFetcher(port=..., ca_bundle=...)

Serves every host name given (the certificate lists them all); ``pages`` maps a path to
a body, or ``(host, path)`` to a body for one host only. Other paths answer 404.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_certificate(names: list[str], directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for ``names`` and its key; returns (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = dt.datetime.now(dt.UTC)
    alt = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return cert_path, key_path


class LoopbackHttpsServer:
    """A threaded HTTPS server on 127.0.0.1 with a random free port."""

    def __init__(self, pages: dict, names: list[str], directory: Path,
                 content_type: str = "text/plain") -> None:
        self.pages = pages
        self.content_type = content_type
        self.ca_file, key_file = make_certificate(names, directory)
        self.requests: list[tuple[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").split(":")[0]
                owner.requests.append((host, self.path))
                body = owner.pages.get((host, self.path), owner.pages.get(self.path))
                status = 200 if body is not None else 404
                data = (body if body is not None else "not found").encode()
                self.send_response(status)
                self.send_header("Content-Type", owner.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # many scans fetch policies at once
            daemon_threads = True

        self.httpd = Server(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, key_file)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackHttpsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
