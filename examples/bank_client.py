"""A bank's integration with the SRDI platform's financing-need feed — runnable, standard library + httpx.

    # pull the needs shared with your bank, from where you stopped (the cursor is kept in a file)
    python examples/bank_client.py pull --base http://127.0.0.1:8000 --key $BANK_KEY

    # receive webhooks: verify each signature, answer 2xx fast, deduplicate on webhook-id
    python examples/bank_client.py serve --port 9010 --secret whsec_...

    # subscribe that receiver (the secret is printed once), rotate the secret, replay from a cursor
    python examples/bank_client.py subscribe --base http://127.0.0.1:8000 --key $BANK_KEY --url http://127.0.0.1:9010/hook
    python examples/bank_client.py rotate --base ... --key ... --subscription <id>
    python examples/bank_client.py replay --base ... --key ... --subscription <id> --after 0

    # answer a need: accept (受理) or decline with a reason code
    python examples/bank_client.py accept --base ... --key ... --need <need_id>

With ``make run`` the demo bank key is printed at start (role bank, tenant bank-ynrcc). The signature
check below is the Standard Webhooks scheme written out (HMAC-SHA256 over "{id}.{timestamp}.{body}");
the ``standardwebhooks`` package (PyPI, npm, Maven, …) does the same in one call.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

FEED = "/api/v1/finance/feed"
TOLERANCE_SECONDS = 300


def verify(secrets: list[str], headers: dict[str, str], body: bytes) -> None:
    """Raise ValueError unless one ``v1`` signature matches one of the secrets (several during rotation)."""
    msg_id, ts, signatures = headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"]
    if abs(time.time() - int(ts)) > TOLERANCE_SECONDS:
        raise ValueError("timestamp too old or too new")
    signed = f"{msg_id}.{ts}.".encode() + body
    for secret in secrets:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        if any(hmac.compare_digest(expected, s) for s in signatures.split(" ")):
            return
    raise ValueError("no matching signature")


def show(item: dict) -> None:  # type: ignore[type-arg]
    need = item["need"]
    who = need["enterprise"]["name"] if need["enterprise"] else "(contact data not shared / 企业未授权)"
    line = f"[{item['cursor']}] {item['type']:<13} {need['need_id']}"
    line += f" {need['amount']:>14} 元 {need['term_months']:>3} 月"
    print(f"{line}  {need['state']:<9} due {need['response_due_on']}  {who}")


def pull(args: argparse.Namespace) -> None:
    state = Path(args.cursor_file)
    cursor = state.read_text().strip() if state.exists() else "0"
    with httpx.Client(base_url=args.base, headers={"Authorization": f"Bearer {args.key}"}, timeout=30) as client:
        while True:
            page = client.get(FEED, params={"cursor": cursor, "limit": 100})
            page.raise_for_status()
            body = page.json()
            for item in body["items"]:
                show(item)
            cursor = body["next_cursor"]
            state.write_text(cursor)  # after processing: a crash re-reads at most one page
            if not body["has_more"]:
                break
    print(f"cursor now {cursor} (kept in {state})")


def serve(args: argparse.Namespace) -> None:
    secrets = args.secret
    seen: set[str] = set()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                verify(secrets, headers, body)
            except (KeyError, ValueError) as error:
                self.send_response(401)
                self.end_headers()
                print(f"rejected: {error}", file=sys.stderr)
                return
            self.send_response(204)  # acknowledge first; process after (retries come on non-2xx)
            self.end_headers()
            if headers["webhook-id"] in seen:
                return  # a retry or a replay of a message already handled
            seen.add(headers["webhook-id"])
            show(json.loads(body)["data"])

        def log_message(self, format: str, *args: object) -> None:
            pass

    print(f"listening on http://127.0.0.1:{args.port}/hook")
    ThreadingHTTPServer(("127.0.0.1", args.port), Receiver).serve_forever()


def call(args: argparse.Namespace, method: str, path: str, body: dict | None = None) -> None:  # type: ignore[type-arg]
    with httpx.Client(base_url=args.base, headers={"Authorization": f"Bearer {args.key}"}, timeout=30) as client:
        response = client.request(method, path, json=body)
    print(response.status_code, json.dumps(response.json(), ensure_ascii=False, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("pull", "subscribe", "rotate", "replay", "accept", "decline"):
        p = sub.add_parser(name)
        p.add_argument("--base", default="http://127.0.0.1:8000")
        p.add_argument("--key", required=True)
    sub.choices["pull"].add_argument("--cursor-file", default=".srdi-feed-cursor")
    sub.choices["subscribe"].add_argument("--url", required=True)
    for name in ("rotate", "replay"):
        sub.choices[name].add_argument("--subscription", required=True)
    sub.choices["replay"].add_argument("--after", type=int, default=0)
    for name in ("accept", "decline"):
        sub.choices[name].add_argument("--need", required=True)
    sub.choices["decline"].add_argument("--reason", default="outside_policy")
    serve_parser = sub.add_parser("serve")
    serve_parser.add_argument("--port", type=int, default=9010)
    serve_parser.add_argument("--secret", action="append", required=True, help="repeat during a rotation")
    args = parser.parse_args()
    if args.command == "pull":
        pull(args)
    elif args.command == "serve":
        serve(args)
    elif args.command == "subscribe":
        call(args, "POST", f"{FEED}/webhooks", {"url": args.url})
    elif args.command == "rotate":
        call(args, "POST", f"{FEED}/webhooks/{args.subscription}/rotate", {"grace_hours": 24})
    elif args.command == "replay":
        call(args, "POST", f"{FEED}/webhooks/{args.subscription}/replay", {"after": args.after})
    elif args.command == "accept":
        call(args, "POST", f"/api/v1/finance/needs/{args.need}/accept")
    else:
        call(args, "POST", f"/api/v1/finance/needs/{args.need}/decline", {"reason_code": args.reason})


if __name__ == "__main__":
    main()
