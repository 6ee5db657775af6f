"""ForceManager API v4 client over httpx. See docs/forcemanager.md."""

from server.clients.forcemanager.client import ForceManagerClient
from server.clients.forcemanager.pacing import Pacer
from server.clients.forcemanager.responses import Page

__all__ = ["ForceManagerClient", "Pacer", "Page"]
