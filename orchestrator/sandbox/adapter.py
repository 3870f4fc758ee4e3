"""Reach the sandbox in-process: a requests transport adapter that calls its WSGI app directly.

Mounted on a requests session (the one inside a keystoneauth session), it
answers every URL under ``base_url`` without a socket, so the embedded
service and the tests talk to the sandbox exactly as to a cloud, over the
same client code, at the cost of a function call.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

#: the base URL the in-process sandbox answers on (a name no resolver will ever be asked about)
IN_PROCESS_URL = "http://sandbox.invalid"


class InProcessAdapter(BaseAdapter):
    """A transport adapter that hands requests to a WSGI application."""

    def __init__(self, app: Any):
        super().__init__()
        self.app = app

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        url = urlsplit(request.url)
        body = request.body
        if body is not None and not isinstance(body, bytes):
            body = body.encode() if isinstance(body, str) else b"".join(body)
        environ = EnvironBuilder(path=url.path, query_string=url.query, method=request.method,
                                 base_url=f"{url.scheme}://{url.netloc}", headers=list(request.headers.items()),
                                 data=body or b"").get_environ()
        chunks, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        response = requests.Response()
        response.status_code = int(status.split(" ", 1)[0])
        response.reason = status.split(" ", 1)[1] if " " in status else ""
        response.headers = CaseInsensitiveDict(headers.items())
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = b"".join(chunks)
        response.url = request.url
        response.request = request
        response.connection = self
        return response

    def close(self) -> None:
        pass


def mount(session: requests.Session, app: Any, base_url: str = IN_PROCESS_URL) -> requests.Session:
    """Make ``session`` reach ``app`` for every URL under ``base_url``; the session."""
    session.mount(base_url.rstrip("/") + "/", InProcessAdapter(app))
    return session
