"""`python -m bot flows check` passes on the shipped flows and names file and line when broken."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.engine.loader import load_flows
from bot.errors import FlowError
from bot.flows import FLOWS_DIR

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "flows"

SECTION_HEAD = """spec_version: 1
id: broken
kind: section
number: 9
title: "Broken"
done: "Done."
steps:
"""


def write_flow(tmp_path: Path, steps: str) -> Path:
    shutil.copy(FIXTURES / "onboarding.yaml", tmp_path / "onboarding.yaml")
    (tmp_path / "broken.yaml").write_text(SECTION_HEAD + steps, encoding="utf-8")
    return tmp_path


def problems_for(tmp_path: Path, steps: str) -> str:
    with pytest.raises(FlowError) as caught:
        load_flows(write_flow(tmp_path, steps))
    return str(caught.value)


def test_shipped_flows_pass_from_the_command_line() -> None:
    """The real CLI, as a developer runs it, accepts the shipped flows."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "flows", "check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok:")


def test_dangling_goto_fails_naming_file_step_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A goto to a step that does not exist fails the check with file:line and the step."""
    steps = """  - id: first
    label: "First"
    type: yes_no
    ask: "First?"
    next:
      - {if: "first is yes", goto: nowhere}
"""
    directory = write_flow(tmp_path, steps)
    assert main(["flows", "check", str(directory)]) == 1
    err = capsys.readouterr().err
    assert f"{directory / 'broken.yaml'}:8: broken.first: goto 'nowhere': no such step" in err


def test_unreachable_step(tmp_path: Path) -> None:
    """A step no path leads to is reported."""
    steps = """  - id: first
    label: "First"
    type: yes_no
    ask: "First?"
    next: [{goto: end}]
  - id: orphan
    label: "Orphan"
    type: yes_no
    ask: "Orphan?"
"""
    assert "broken.orphan: unreachable" in problems_for(tmp_path, steps)


def test_loop_without_exit(tmp_path: Path) -> None:
    """Two steps that only lead to each other can never end the section."""
    steps = """  - id: one
    label: "One"
    type: yes_no
    ask: "One?"
    next: [{goto: two}]
  - id: two
    label: "Two"
    type: yes_no
    ask: "Two?"
    next: [{goto: one}]
"""
    text = problems_for(tmp_path, steps)
    assert "broken.one: loop with no way out" in text
    assert "broken.two: loop with no way out" in text


def test_duplicate_ids_missing_texts_and_bad_refs(tmp_path: Path) -> None:
    """Repeated ids, empty texts, unknown placeholders and reads of later answers are caught."""
    steps = """  - id: same
    label: "Same"
    type: yes_no
    ask: "Hi {nobody}?"
  - id: same
    label: " "
    type: yes_no
    ask: "Again?"
    when: "later is yes"
  - id: later
    label: "Later"
    type: yes_no
    ask: "Later?"
"""
    text = problems_for(tmp_path, steps)
    assert "step id 'same' repeats" in text
    assert "label text is missing" in text
    assert "unknown placeholder(s) ['nobody']" in text
    assert "condition reads 'later': not a step asked before this one" in text


def test_schema_errors_point_at_the_line(tmp_path: Path) -> None:
    """A wrong answer type is reported at the step's own line."""
    steps = """  - id: first
    label: "First"
    type: yes_no
    ask: "First?"
  - id: second
    label: "Second"
    type: maybe
    ask: "Second?"
"""
    text = problems_for(tmp_path, steps)
    assert "broken.yaml:12: broken.second: steps.1.type" in text


def test_condition_syntax_is_checked(tmp_path: Path) -> None:
    """A condition outside the small language (e.g. Python) is refused, never evaluated."""
    steps = """  - id: first
    label: "First"
    type: yes_no
    ask: "First?"
  - id: second
    label: "Second"
    type: yes_no
    ask: "Second?"
    when: "__import__('os').system('x')"
"""
    assert "broken.second" in problems_for(tmp_path, steps)


def test_shipped_flows_load() -> None:
    """The shipped flows load at start-up with every section numbered 1 to 8."""
    flows = load_flows(FLOWS_DIR)
    assert [f.number for f in flows.sections] == list(range(1, len(flows.sections) + 1))


def test_a_question_naming_private_things_must_wait_or_be_worded_for_a_shared_phone(
    tmp_path: Path,
) -> None:
    """A question or choice that names treatment or pregnancy fails the check, unless the
    step is a private_question, has shared_phone words, or the choice is sensitive or has a
    shared_label."""
    step = """  - id: %s
    label: "Care"
    type: choice
    ask: "Do you see a doctor for your pregnancy?"
    %s
    choices:
      - value: "yes"
        label: "Yes, a treatment program"
        %s
      - value: "no"
        label: "No"
"""
    found = problems_for(tmp_path, step % ("care", "", ""))
    assert "names something private on a shared phone: mark the step private_question" in found
    assert "'Do you see a doctor for your pregnancy?'" in found
    assert "'Yes, a treatment program'" in found
    kept = step % ("care", "private_question: true", "")
    worded = step % ("care", 'shared_phone: {ask: "Do you see a doctor?"}', "sensitive: true")
    relabelled = step % ("care", 'shared_phone: {ask: "Any visits?"}', 'shared_label: "Yes"')
    for steps in (kept, worded, relabelled):
        load_flows(write_flow(tmp_path, steps))


def test_a_shared_phone_question_naming_the_substance_use_records_law_fails(
    tmp_path: Path,
) -> None:
    """The law's name "42 CFR Part 2" says substance use: a shared phone's words may not say it (the
    private wording and DETAILS may), so the check refuses it like any private word."""
    step = """  - id: share
    label: "Share"
    type: yes_no
    ask: "Your recovery part is protected by 42 CFR Part 2. Share it?"
    shared_phone: {ask: "%s"}
"""
    found = problems_for(tmp_path, step % "Part 9 is protected by 42 CFR Part 2. Share it?")
    assert "'Part 9 is protected by 42 CFR Part 2. Share it?' names something private" in found
    found = problems_for(tmp_path, step % "Part 9 is protected under Part 2. Share it?")
    assert "names something private on a shared phone" in found
    load_flows(write_flow(tmp_path, step % "Part 9 has extra privacy protection. Share it?"))
