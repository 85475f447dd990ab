"""A real local Web Push service for the tests (and bench/push_latency.py).

An HTTP server on 127.0.0.1 that receives RFC 8030 push requests (POST to a subscription's
endpoint), checks the VAPID header (RFC 8292: `Authorization: vapid t=<JWT>, k=<public key>`,
ES256 signature verified with k, k must be the app's key, aud = this origin, exp in the
future), and decrypts the aes128gcm body (RFC 8188/8291) with the subscription's private key
and auth secret, so a test reads back exactly what a phone would show.

    service = LocalPushService(expected_key=push.public_key()); service.start()
    device = service.new_subscription()        # endpoint + keys, as a browser hands them over
    service.answer(device, 410)                # the next pushes to it answer 410
    [msg] = service.wait_for(1)                # msg.payload (dict), msg.headers (lower-case names), msg.received_at
"""

from __future__ import annotations

import json
import os
import threading
import time
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64(data: bytes) -> str:
    return urlsafe_b64encode(data).decode().rstrip("=")


def unb64(value: str) -> bytes:
    return urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass
class Device:
    """A browser's push subscription: what it hands the app, and the keys it keeps."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64(point)

    @property
    def auth(self) -> str:
        return b64(self.auth_secret)

    def as_json(self) -> dict:
        """What PushSubscription.toJSON() gives in a browser."""
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass
class Received:
    token: str
    headers: dict
    payload: dict
    raw: str
    received_at: float  # time.time()
    claims: dict = field(default_factory=dict)


def verify_vapid(authorization: str, origin: str, expected_key: str | None) -> dict:
    """Check `vapid t=<jwt>, k=<key>`; returns the JWT claims or raises AssertionError."""
    assert authorization.startswith("vapid "), f"not a VAPID Authorization header: {authorization[:40]!r}"
    params = dict(part.strip().split("=", 1) for part in authorization[len("vapid ") :].split(","))
    token, key = params["t"], params["k"]
    assert expected_key is None or key == expected_key, "VAPID key k= is not the app's public key"
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(unb64(header_b64))
    assert header.get("alg") == "ES256", f"VAPID JWT alg is {header.get('alg')}"
    signature = unb64(signature_b64)
    assert len(signature) == 64, "ES256 signature must be r||s (64 bytes)"
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(key))
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise AssertionError("VAPID JWT signature does not verify with k") from exc
    claims = json.loads(unb64(claims_b64))
    assert claims.get("aud") == origin, f"VAPID aud {claims.get('aud')!r} is not {origin!r}"
    assert int(claims.get("exp", 0)) > time.time(), "VAPID JWT expired"
    assert int(claims["exp"]) <= time.time() + 24 * 3600, "VAPID exp more than 24 h ahead"
    assert str(claims.get("sub", "")).startswith(("mailto:", "https:")), "VAPID sub must be mailto: or https:"
    return claims


class LocalPushService:
    def __init__(self, expected_key: str | None = None):
        self.expected_key = expected_key
        self.devices: dict[str, Device] = {}
        self.received: list[Received] = []
        self.rejected: list[str] = []  # why a request was refused (bad VAPID, bad payload...)
        self.answers: dict[str, list[int]] = {}  # token -> status codes to answer next
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                service._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LocalPushService:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def new_subscription(self) -> Device:
        token = b64(os.urandom(12))
        device = Device(token, f"{self.origin}/push/{token}", ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        with self.lock:
            self.devices[token] = device
        return device

    def answer(self, device: Device, *codes: int) -> None:
        """Answer the next pushes to `device` with these status codes (then 201 again)."""
        with self.lock:
            self.answers.setdefault(device.token, []).extend(codes)

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.rejected.clear()
            self.answers.clear()

    def wait_for(self, count: int = 1, timeout: float = 10.0, token: str | None = None) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                found = [r for r in self.received if token is None or r.token == token]
                if len(found) >= count or time.monotonic() >= deadline:
                    break
                self.arrived.wait(timeout=max(0.01, deadline - time.monotonic()))
            seen = [r.payload for r in self.received]
            rejected = list(self.rejected)
        assert len(found) >= count, f"expected {count} push(es) within {timeout}s; got {seen}; rejected: {rejected}"
        return found

    # ------------------------------------------------------------ the RFC 8030 endpoint
    def _reply(self, handler: BaseHTTPRequestHandler, code: int, why: str = "") -> None:
        body = why.encode()
        handler.send_response(code)
        handler.send_header("Content-Length", str(len(body)))
        if code == 201:
            handler.send_header("Location", f"{self.origin}/message/{b64(os.urandom(8))}")
        handler.end_headers()
        handler.wfile.write(body)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        token = handler.path.rsplit("/", 1)[-1]
        with self.lock:
            device = self.devices.get(token)
            queued = self.answers.get(token) or []
            forced = queued.pop(0) if queued else None
        if device is None:
            return self._reply(handler, 404, "no such subscription")
        if forced is not None:
            return self._reply(handler, forced, "forced by the test")
        try:
            claims = verify_vapid(handler.headers.get("Authorization", ""), self.origin, self.expected_key)
            assert handler.headers.get("Content-Encoding") == "aes128gcm", "Content-Encoding must be aes128gcm"
            assert handler.headers.get("TTL") is not None, "TTL header is required (RFC 8030)"
            plain = http_ece.decrypt(
                body, private_key=device.private_key, auth_secret=device.auth_secret, version="aes128gcm"
            )
            raw = plain.decode()
            payload = json.loads(raw)
        except Exception as exc:  # noqa: BLE001 - reported to the test through `rejected`
            with self.lock:
                self.rejected.append(f"{type(exc).__name__}: {exc}")
            return self._reply(handler, 400, str(exc))
        with self.lock:
            self.received.append(
                Received(token, {k.lower(): v for k, v in handler.headers.items()}, payload, raw, time.time(), claims)
            )
            self.arrived.notify_all()
        self._reply(handler, 201)
