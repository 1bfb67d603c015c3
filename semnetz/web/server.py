"""Run the app: bind the address (port 0: any free port), load what searches need, print the link to open,
serve with uvicorn in this one process until Ctrl-C."""

from __future__ import annotations

import errno
import gc
import socket
from urllib.parse import quote

from ..errors import SemnetzError


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (so a port in use is one clear error, and port 0 picks a free one)."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise SemnetzError(f"cannot serve on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SemnetzError(f"port {port} on {host} is in use; choose another with --port") from None
        raise SemnetzError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def lan_address() -> str | None:
    """This machine's address on the local network (what a phone on the same network opens). Connecting a UDP
    socket sends nothing; it only asks the kernel which address it would send from."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed, nothing is sent
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def page_url(host: str, port: int, token: str | None) -> str:
    if host in ("0.0.0.0", "", "::"):
        host = lan_address() or "127.0.0.1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={quote(token, safe='')}" if token else "")


def serve(net, host: str = "127.0.0.1", port: int = 8080, token: str | None = None, say=print) -> None:
    import uvicorn

    from .app import create_app
    from .memory import Trimmer, map_big_blocks

    sock = bind(host, port)
    map_big_blocks()  # before the model and the view are loaded: see web/memory.py
    trimmer = Trimmer()
    try:
        app = create_app(net, host=host, token=token)
        net.warm()  # the model and the view now, not in the first request
        # What warm-up loaded (the model's tokenizer and weights, the view, the templates) lives as long as the
        # server: out of the collector's full passes, which otherwise walk all of it at every write (a writer
        # collects its garbage at its end: ~0.08 s of the interpreter's lock each time, with a few thousand
        # people). Only what exists now is kept out; garbage made later is collected as before.
        gc.freeze()
        # Each new view lets go of the one two writes back, in the middle of what searches hold: give what is freed
        # back to the system (web/memory.py), or the server's size creeps up with every write
        net.views.on_change(trimmer.start().poke)
        trimmer.poke()  # what warming up let go of
        port = sock.getsockname()[1]
        access = app.state.access
        say(f"semnetz serves {net.location}")
        if access.loopback:
            say(f"Open {page_url(host, port, access.token)}")
        else:
            say(f"Open this link on your phone (on the same network as this computer):\n"
                f"  {page_url(host, port, access.token)}")
            say("Anyone with this link can read and change your network: keep it to yourself.")
        base = page_url(host, port, None)
        say(f"The JSON API: {base}api/…" + (" with 'Authorization: Bearer TOKEN'" if access.token else "")
            + f" (OpenAPI: {base}openapi.json). Ctrl-C stops.")
        config = uvicorn.Config(app, host=host, port=port, workers=1, log_level="warning", access_log=False,
                                server_header=False, proxy_headers=False)
        try:
            uvicorn.Server(config).run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn has shut down and passes the Ctrl-C on: a normal end
            pass
        say("Stopped.")
    finally:
        trimmer.stop()
        sock.close()
