"""ForceManager API v4 client over httpx. See docs/forcemanager.md."""

from server.clients.forcemanager.client import ForceManagerClient
from server.clients.forcemanager.pacing import Pacer

__all__ = ["ForceManagerClient", "Pacer"]
