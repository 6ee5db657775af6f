"""python -m sandboxes (make sandbox): both sandboxes on loopback until Ctrl-C.

Each can also run alone: python -m sandboxes.salesforce, python -m sandboxes.forcemanager.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sandboxes import forcemanager, salesforce
from sandboxes.server import BackgroundServer
from sandboxes.tls import make_tls_files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--salesforce-port", type=int, default=8443)
    parser.add_argument("--forcemanager-port", type=int, default=8081)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=30)
    parser.add_argument("--tls-dir", type=Path, default=Path("data/tls"))
    args = parser.parse_args()

    tls = make_tls_files(args.tls_dir)
    sf = salesforce.create_sandbox(seed=args.seed, accounts=args.accounts)
    fm = forcemanager.create_sandbox(seed=args.seed, accounts=args.accounts)
    sf_server = BackgroundServer(sf.app, args.host, args.salesforce_port, tls).start()
    fm_server = BackgroundServer(fm.app, args.host, args.forcemanager_port).start()
    print(f"Salesforce sandbox    {sf_server.url}   (admin: {sf_server.url}/_sandbox/)")
    print(f"  CA certificate      {tls.ca_cert.resolve()}")
    print(f"  OAuth client        {salesforce.CLIENT_ID} / {salesforce.CLIENT_SECRET}")
    print(f"  user                {salesforce.USERNAME} / {salesforce.PASSWORD}"
          f" + token {salesforce.SECURITY_TOKEN}")
    print(f"ForceManager sandbox  {fm_server.url}/api/v4   (admin: {fm_server.url}/_sandbox/)")
    print(f"  keys                {forcemanager.PUBLIC_KEY} / {forcemanager.PRIVATE_KEY}")
    print("Ctrl-C stops both.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sf_server.stop()
        fm_server.stop()


if __name__ == "__main__":
    main()
