"""python -m sandboxes.salesforce: run the Salesforce sandbox alone until Ctrl-C."""

from __future__ import annotations

import argparse
import ssl
import time
from pathlib import Path

import httpx

from sandboxes.salesforce import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    SECURITY_TOKEN,
    USERNAME,
    create_sandbox,
)
from sandboxes.server import BackgroundServer
from sandboxes.tls import make_tls_files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=30)
    parser.add_argument("--tls-dir", type=Path, default=Path("data/tls"))
    parser.add_argument("--activity", type=float, default=0.0,
                        help="seconds between simulated edits (0: none)")
    args = parser.parse_args()

    tls = make_tls_files(args.tls_dir)
    sandbox = create_sandbox(seed=args.seed, accounts=args.accounts)
    server = BackgroundServer(sandbox.app, args.host, args.port, tls).start()
    print(f"Salesforce sandbox  {server.url}")
    print(f"  CA certificate    {tls.ca_cert.resolve()}")
    print(f"  OAuth client      {CLIENT_ID} / {CLIENT_SECRET}")
    print(f"  user              {USERNAME} / {PASSWORD} + token {SECURITY_TOKEN}")
    print(f"  admin surface     {server.url}/_sandbox/")
    if args.activity > 0:
        httpx.post(f"{server.url}/_sandbox/activity", json={"interval": args.activity},
                   verify=ssl.create_default_context(cafile=str(tls.ca_cert))).raise_for_status()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
