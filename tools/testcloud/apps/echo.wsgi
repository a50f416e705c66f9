"""A WSGI application for a cloud without OpenStack: answers every request
with 200 and a JSON body naming the method and path, so the WSGI servers and
the proxy in front of them have something real to serve and log."""

import json


def application(environ, start_response):
    body = json.dumps(
        {"method": environ["REQUEST_METHOD"], "path": environ.get("PATH_INFO", "")}
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
