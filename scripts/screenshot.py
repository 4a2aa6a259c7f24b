"""Take a screenshot of a page of a running Odoo, logged in as a given user.

For the README's screenshots and for looking at a screen while developing:

    python3 scripts/screenshot.py --port 8069 --db msp_demo --login admin --password admin \
        --url /odoo/action-msp_business_planning.msp_business_plan_action --out plans.png

It logs in over JSON-RPC (``/web/session/authenticate``), hands the session cookie to a
headless Debian ``chromium`` driven through the DevTools protocol (``websocket-client``),
waits until the page is loaded and Odoo's client is idle, and writes a PNG of the page
(``--full`` for the whole page height). Talks to 127.0.0.1 only.
"""

import argparse
import base64
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

HOST = "127.0.0.1"


def authenticate(port, db, login, password):
    payload = json.dumps(
        {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"db": db, "login": login, "password": password},
        }
    ).encode()
    request = urllib.request.Request(
        f"http://{HOST}:{port}/web/session/authenticate",
        data=payload,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.loads(response.read())
        cookies = response.headers.get_all("Set-Cookie") or []
    if body.get("error"):
        sys.exit(f"login failed: {body['error'].get('data', {}).get('message', body['error'])}")
    for cookie in cookies:
        name, _, rest = cookie.partition("=")
        if name.strip() == "session_id":
            return rest.split(";", 1)[0]
    sys.exit("login failed: no session cookie")


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


def wait_idle(page, timeout):
    """Wait for the document, then for Odoo's client to show no loading indicator."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        busy = page.evaluate(
            "document.readyState !== 'complete' || "
            "!!document.querySelector('.o_loading_indicator, .o_loading, "
            ".o-main-components-container .o_blockUI')"
        )
        now = time.monotonic()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since > 1.5:
            return
        time.sleep(0.25)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8069)
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", help="omit for a public (not logged-in) page")
    parser.add_argument("--password")
    parser.add_argument("--url", required=True, help="path, e.g. /my/business-plans")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--full", action="store_true", help="capture the whole page height")
    parser.add_argument("--wait", type=float, default=2.0, help="extra seconds after idle")
    parser.add_argument(
        "--click", action="append", default=[], help="CSS selector to click before capturing"
    )
    args = parser.parse_args()

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium is not installed (apt-get install chromium)")
    session = authenticate(args.port, args.db, args.login, args.password) if args.login else None

    with tempfile.TemporaryDirectory() as profile:
        browser = subprocess.Popen(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                f"--window-size={args.width},{args.height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            ws_url = None
            for line in browser.stderr:
                if "DevTools listening on" in line:
                    browser_ws = line.split("DevTools listening on", 1)[1].strip()
                    debug_port = browser_ws.split(":")[2].split("/")[0]
                    break
            else:
                sys.exit("chromium did not start")
            with urllib.request.urlopen(f"http://{HOST}:{debug_port}/json", timeout=30) as r:
                targets = json.loads(r.read())
            ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            page = Page(ws_url)
            page.call("Page.enable")
            page.call("Runtime.enable")
            page.call(
                "Emulation.setDeviceMetricsOverride",
                width=args.width,
                height=args.height,
                deviceScaleFactor=1,
                mobile=False,
            )
            if session:
                page.call(
                    "Network.setCookie",
                    name="session_id",
                    value=session,
                    domain=HOST,
                    path="/",
                )
            page.call("Page.navigate", url=f"http://{HOST}:{args.port}{args.url}")
            time.sleep(1)
            wait_idle(page, 60)
            for selector in args.click:
                page.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
                time.sleep(0.5)
                wait_idle(page, 30)
            time.sleep(args.wait)
            params = {"format": "png"}
            if args.full:
                height = page.evaluate(
                    "Math.max(document.body.scrollHeight, "
                    "...[...document.querySelectorAll('.o_content, .o_action_manager, main')]"
                    ".map(e => e.scrollHeight))"
                )
                params["clip"] = {
                    "x": 0,
                    "y": 0,
                    "width": args.width,
                    "height": max(args.height, int(height or 0)),
                    "scale": 1,
                }
                params["captureBeyondViewport"] = True
            data = page.call("Page.captureScreenshot", **params)["data"]
            with open(args.out, "wb") as handle:
                handle.write(base64.b64decode(data))
            print(f"{args.out} ({args.url} as {args.login or 'public'})")
        finally:
            browser.terminate()
            browser.wait(timeout=10)


if __name__ == "__main__":
    main()
