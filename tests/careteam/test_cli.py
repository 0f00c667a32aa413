"""`python -m bot careteam ...`: check a directory file, make tokens and webhook secrets."""

from __future__ import annotations

import io
import re
from pathlib import Path

import yaml
from standardwebhooks.webhooks import Webhook

from bot.careteam.cli import main
from bot.careteam.directory import ApiToken, verify_token_secret
from bot.settings import ROOT


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_check_prints_what_each_role_would_receive() -> None:
    code, out, _ = run("check", str(ROOT / "careteam.yaml"))
    assert code == 0
    assert "recovery (only with its own Part 2 yes)" in out
    assert "Treatment provider (treatment): sam_ortiz" in out
    assert "-> webhook hope_treatment" in out
    assert "On-call responder (on_call): rosa_diaz" in out
    assert "plan.crisis, plan.handoff_requested, plan.cant_reach" in out
    assert "(plan.section.completed, plan.need.updated)" in out
    assert "plan.deleted reaches every endpoint that received anything" in out
    assert "Operators (de-identified reports, never a plan): program_ops" in out
    assert "warning" not in out


def test_check_lists_every_problem_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "team.yaml"
    bad.write_text(
        "version: 1\nprogram: {intermediary: X}\n"
        "organizations:\n  - {id: a1, name: A, service_area: {zip_prefixes: ['0x']}}\n"
        "members:\n  - {id: m1, name: M, organization: a1, roles: [janitor]}\n"
    )
    code, out, err = run("check", str(bad))
    assert (code, out) == (1, "")
    assert f"{bad}:4: organizations[0].service_area.zip_prefixes" in err
    assert f"{bad}:6: members[0].roles[0]: should be 'social_worker'" in err
    assert "2 problem(s)" in err


def test_check_refuses_a_directory_where_no_one_answers_a_crisis(tmp_path: Path) -> None:
    """ "I've told the person on call" must be true: no on-call endpoint, no start."""
    lonely = tmp_path / "team.yaml"
    lonely.write_text(
        "version: 1\nprogram: {intermediary: X, crisis_fallback: a1}\n"
        "organizations:\n  - {id: a1, name: A, service_area: {states: [CT]}}\n"
    )
    code, out, err = run("check", str(lonely))
    assert (code, out) == (1, "")
    assert f"{lonely}:4: organizations[0].id: no on-call endpoint of 'a1' takes plan.crisis" in err


def test_token_and_secret_make_usable_values() -> None:
    code, out, _ = run("token", "rosa-2")
    assert code == 0
    token = re.search(r"sst_rosa-2\.\S+", out)
    line = next(s for s in out.splitlines() if s.startswith("api_token:"))
    stored = ApiToken.model_validate(yaml.safe_load(line)["api_token"])
    assert token is not None
    assert verify_token_secret(token.group(0).split(".", 1)[1], stored.hash)
    code, out, _ = run("secret")
    Webhook(out.strip())  # a secret standardwebhooks accepts
    assert (code, out.startswith("whsec_")) == (0, True)
    assert run("token", "Bad Id")[0] == 2
