"""The dashboard's account corner on a real `dse serve`: "single-user mode" on the embedded default; in team mode
(DSE_AUTH=required) a token field that signs in through an HTTP-only cookie, then the user's name, and sign-out."""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import start_serve, stop_serve, wait_for_api

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DSE = str(Path(sys.executable).parent / "dse")


def test_single_user_mode_is_labelled(page, tmp_path: Path) -> None:
    stack = start_serve(tmp_path, {"DSE_DEMO_SWEEP": "false"})
    try:
        wait_for_api(stack)
        page.goto(stack.base_url)
        assert page.locator("#single-user").inner_text() == "single-user mode"
        assert page.locator("#sign-in").count() == 0
    finally:
        stop_serve(stack)


def test_team_mode_signs_in_with_a_token_and_out_again(page, tmp_path: Path) -> None:
    stack = start_serve(tmp_path, {"DSE_DEMO_SWEEP": "false", "DSE_AUTH": "required"})
    try:
        wait_for_api(stack)
        env = {"PATH": str(Path(sys.executable).parent), "DSE_STATE_DIR": str(stack.state_dir)}
        subprocess.run([DSE, "user", "add", "ada", "--role", "member"], env=env, cwd=tmp_path, check=True,
                       capture_output=True, timeout=60)
        created = subprocess.run([DSE, "token", "create", "ada"], env=env, cwd=tmp_path, check=True,
                                 capture_output=True, text=True, timeout=60)
        token = created.stdout.strip().split()[-1]
        page.goto(stack.base_url)
        page.locator("#token").fill("dse_wrong")
        page.locator("#sign-in button").click()
        page.locator(".account-error", has_text="invalid or revoked token").wait_for()
        page.locator("#token").fill(token)
        page.locator("#sign-in button").click()
        page.locator("#signed-in-as", has_text="ada (member)").wait_for()
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["dse_session"]["httpOnly"] and cookies["dse_session"]["sameSite"] == "Strict"
        assert token not in page.content()  # the page never keeps the token
        page.locator("#sign-out").click()
        page.locator("#sign-in").wait_for()
    finally:
        stop_serve(stack)


class _AttackerSite:
    """A page on another port of the same host (same-site, another origin) that a signed-in member visits."""

    def __init__(self, pages: dict[str, str]) -> None:
        class Page(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages[self.path].encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Page)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def test_a_same_site_page_can_neither_write_with_the_session_nor_frame_the_dashboard(browser, tmp_path: Path) -> None:
    stack = start_serve(tmp_path, {"DSE_DEMO_SWEEP": "false", "DSE_AUTH": "required"})
    attacker = None
    context = browser.new_context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        wait_for_api(stack)
        env = {"PATH": str(Path(sys.executable).parent), "DSE_STATE_DIR": str(stack.state_dir)}
        subprocess.run([DSE, "user", "add", "ada", "--role", "member"], env=env, cwd=tmp_path, check=True,
                       capture_output=True, timeout=60)
        token = subprocess.run([DSE, "token", "create", "ada"], env=env, cwd=tmp_path, check=True,
                               capture_output=True, text=True, timeout=60).stdout.strip().split()[-1]
        page.goto(stack.base_url)
        page.locator("#token").fill(token)
        page.locator("#sign-in button").click()
        page.locator("#signed-in-as", has_text="ada (member)").wait_for()
        # a sweep long enough to still be running while the other page tries to cancel it
        spec = {"name": "target", "models": ["bert-large"], "scenarios": [{"seq_len": 512}],
                "axes": {"rows": {"start": 4, "stop": 128, "step": 4}, "cols": {"start": 4, "stop": 128, "step": 4},
                         "scratchpad_kib": [64, 128, 256, 512]}}
        sweep_id = page.evaluate("""async (spec) => (await (await fetch('/api/sweeps', {method: 'POST',
            headers: {'Content-Type': 'application/json'}, body: JSON.stringify(spec)})).json()).id""", spec)
        cancel = f"{stack.base_url}/api/sweeps/{sweep_id}/cancel"
        attacker = _AttackerSite({"/frame": f'<!doctype html><iframe id="framed" src="{stack.base_url}/"></iframe>',
                                  "/": f"""<!doctype html><body>
            <form id="attack" method="post" action="{cancel}"><input name="x" value="1"></form>
            <script>
              fetch("{cancel}", {{method: "POST", mode: "no-cors", credentials: "include"}})
                .finally(() => setTimeout(() => document.getElementById("attack").submit(), 1500));
            </script></body>"""})
        page.goto(attacker.url + "frame")
        page.wait_for_timeout(1500)
        assert page.frame_locator("#framed").locator("#signed-in-as").count() == 0  # Chromium refused the frame
        assert any("frame-ancestors" in line for line in console), console
        with page.expect_response(lambda r: r.url == cancel and r.request.method == "POST"
                                  and r.request.resource_type == "document") as posted:
            page.goto(attacker.url)
        assert posted.value.status == 403 and "CSRF" in posted.value.text()
        assert "CSRF" in page.locator("body").inner_text()
        state = httpx.get(f"{stack.base_url}/api/sweeps/{sweep_id}", headers={"Authorization": f"Bearer {token}"})
        assert state.json()["status"] in ("queued", "running"), state.text  # neither the fetch nor the form won
        page.goto(stack.base_url)  # the dashboard itself, same origin: its cancel works
        result = page.evaluate(f"""async () => (await fetch('/api/sweeps/{sweep_id}/cancel',
            {{method: 'POST'}})).status""")
        assert result == 200
    finally:
        context.close()
        if attacker is not None:
            attacker.close()
        stop_serve(stack)
