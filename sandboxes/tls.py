"""A throwaway certificate authority, so the Salesforce sandbox can serve HTTPS on loopback
and simple-salesforce (which hard-codes https) talks to it unmodified."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path  # give this to clients (requests' verify=, SALESFORCE_CA_BUNDLE)
    server_cert: Path
    server_key: Path


def make_tls_files(directory: Path) -> TlsFiles:
    """Create (or reuse) a CA and a certificate for 127.0.0.1 / localhost in directory."""
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    if all(p.exists() for p in (files.ca_cert, files.server_cert, files.server_key)):
        return files
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(files.ca_cert))
    cert.private_key_pem.write_to_path(str(files.server_key))
    cert.cert_chain_pems[0].write_to_path(str(files.server_cert))
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(str(files.server_cert), append=True)
    return files
