"""Starting the service: loopback by default; any other address only with a bearer token."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from evopersona.errors import InputError

TOKEN_ENV = "EVOPERSONA_TOKEN"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse (InputError, exit 2) to expose the service beyond this machine without a token."""
    if not is_loopback(host) and not token:
        raise InputError(f"refusing to listen on {host} without a token: pass --token or set {TOKEN_ENV} "
                         "(or bind to 127.0.0.1)")


def serve(runs_dir: Path, host: str = "127.0.0.1", port: int = 8000, token: str | None = None) -> None:
    """Run the service with uvicorn until interrupted."""
    check_bind(host, token)
    if not runs_dir.is_dir():
        raise InputError(f"{runs_dir}: runs folder not found")
    import uvicorn

    from evopersona.service.app import create_app

    uvicorn.run(create_app(runs_dir, token), host=host, port=port, log_level="info")
