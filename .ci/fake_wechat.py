#!/usr/bin/env python3
"""A stand-in for WeChat's server API while schemathesis drives a real server
(.ci/schemathesis.sh): every call the API makes answers as WeChat does when
all is well, so a 503 `WECHAT_UNAVAILABLE` in the run is a real finding.
Usage: fake_wechat.py PORT"""
import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

# A 1x1 PNG: what getwxacodeunlimit answers (an image, not JSON).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAWk1v8QAAAABJRU5ErkJggg=="
)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body, kind="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        if url.path == "/cgi-bin/token":
            return self.send(200, {"access_token": "fake-token", "expires_in": 7200})
        if url.path == "/sns/jscode2session":
            code = q.get("js_code", ["x"])[0]
            return self.send(200, {"openid": "wx-" + code[:40], "session_key": "fake"})
        return self.send(200, {"errcode": 0, "errmsg": "ok"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        url = urlparse(self.path)
        if url.path == "/wxa/business/getuserphonenumber":
            phone = {"phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": "86"}
            return self.send(200, {"errcode": 0, "errmsg": "ok", "phone_info": phone})
        if url.path == "/wxa/getwxacodeunlimit":
            return self.send(200, PNG, "image/png")
        if url.path.startswith("/wxa/msg_sec_check"):
            return self.send(200, {"errcode": 0, "errmsg": "ok", "result": {"suggest": "pass", "label": 100}})
        return self.send(200, {"errcode": 0, "errmsg": "ok"})


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
