"""The HTTP service (`evopersona serve`): a FastAPI app over the runs in one folder."""

from evopersona.service.app import create_app
from evopersona.service.server import check_bind, serve

__all__ = ["check_bind", "create_app", "serve"]
