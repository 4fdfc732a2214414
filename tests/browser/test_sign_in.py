"""The dashboard's account corner on a real `dse serve`: "single-user mode" on the embedded default; in team mode
(DSE_AUTH=required) a token field that signs in through an HTTP-only cookie, then the user's name, and sign-out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
