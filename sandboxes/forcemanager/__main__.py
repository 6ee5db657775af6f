"""python -m sandboxes.forcemanager [--port 8081] [--seed 1] [--accounts 200] [--rate-limit 13]"""

from __future__ import annotations

import argparse

import uvicorn

from sandboxes.forcemanager import PRIVATE_KEY, PUBLIC_KEY, create_sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the ForceManager API v4 sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--rate-limit", type=float, default=None,
                        help="requests a second per credential (4 or 13); default: off")
    args = parser.parse_args()
    sandbox = create_sandbox(args.seed, accounts=args.accounts, rate_limit=args.rate_limit)
    base = f"http://{args.host}:{args.port}"
    print(f"ForceManager sandbox: {base}/api/v4  (admin: {base}/_sandbox)")
    print(f"  public key {PUBLIC_KEY}  private key {PRIVATE_KEY}", flush=True)
    uvicorn.run(sandbox.app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
