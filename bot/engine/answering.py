"""The answer the current mode expects: a question's answer (with kind, escalating
re-prompts), a read-back's yes or number, the menu's pick, the offer of the next part,
a restart's confirmation, a language's name."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.engine import commands
from bot.engine import messages as m
from bot.engine.answers import ZipInfo, too_soon, upcoming_step
from bot.engine.commands.language import switch_language
from bot.engine.commands.navigation import skip
from bot.engine.keywords import Match, fold
from bot.engine.model import Flow, Step
from bot.engine.navigation import answered_route
from bot.engine.parsing import Option, ParseFailed, parse_choice, parse_int, parse_yes_no
from bot.engine.reminder_promise import no_time_to_remind
from bot.engine.today import zone
from bot.engine.turn import Turn
from bot.engine.understand import read_answer
from bot.engine.walker import Walker

HINTS = {
    "yes_no": m.HINT_YES_NO,
    "choice": m.HINT_CHOICE,
    "multi": m.HINT_MULTI,
    "date": m.HINT_DATE,
    "time": m.HINT_TIME,
    "phone": m.HINT_PHONE,
    "zip": m.HINT_ZIP,
    "number": m.HINT_NUMBER,
    "text": m.HINT_TEXT,
}
REASONS = {
    "too_early": m.DATE_TOO_EARLY,
    "too_late": m.DATE_TOO_LATE,
    "unknown_zip": m.UNKNOWN_ZIP,
    "too_long": m.TOO_LONG,
    "out_of_range": None,
}


def answer(w: Walker, turn: Turn, text: str) -> None:
    mode = turn.session.mode
    if mode == "ask":
        _answer_question(w, turn, text)
    elif mode in ("readback", "fix"):
        _answer_readback(w, turn, text)
    elif mode == "menu":
        _answer_menu(w, turn, text)
    elif mode == "offer":
        _answer_offer(w, turn, text)
    elif mode == "confirm_restart":
        _answer_restart(w, turn, text)
    elif mode == "language":
        _answer_language(w, turn, text)
    elif mode == "idle":
        _answer_menu(w, turn, text)  # a part's number, YES to go on, or one short line
    elif mode == "private":
        w.prompt(turn)  # by text: the line again; in the private chat: the question
    else:
        w.menu(turn)


def offered_answers(flows: Iterable[Flow], translate: Callable[[str], str]) -> frozenset[str]:
    """Every choice the flows offer as the parent may text it back, folded: each label in the
    parent's language ("I have a plan", "Tengo un plan") and each synonym. A text that is
    exactly one of them is the parent answering, not telling of a crisis: the learned crisis
    reader alone does not act on it (the word rules still read every text). Only the whole
    text counts: "no hes not breathing" is no answer the bot offers."""
    return frozenset(
        fold(option)
        for flow in flows
        for step in flow.steps
        if step.type in ("choice", "multi")
        for choice in step.choices
        for option in (translate(choice.label), *choice.synonyms)
    )


def _answer_question(w: Walker, turn: Turn, text: str) -> None:
    session = turn.session
    step = w.current_step(session)
    if step is None:
        w.menu(turn)
        return
    flow = w.flows[session.flow or ""]
    same = w.same_people(session, step)
    if same is not None and not text.strip()[:1].isdigit():
        try:
            agreed = parse_yes_no(text, session.locale)
        except ParseFailed:
            agreed = None
        if agreed is not None:
            no_one = next(c.value for c in step.choices if c.exclusive)
            w.store(turn, flow, step, same if agreed else [no_one])
            return
    reading = read_answer(
        step,
        text,
        lang=session.locale,
        today=turn.today,
        labels=turn.voice.labels(step),
        zip_lookup=w.zip_lookup,
        keywords=w.keywords,
    )
    if reading.skip:
        skip(w, turn)  # "I don't know yet", "más tarde" where SKIP is offered
        return
    if reading.command is not None and commands.run(w, turn, Match(reading.command, "")):
        return
    if reading.failure == "ambiguous" and len(reading.guesses) > 1 and step.type == "choice":
        _ask_which(turn, step, reading.guesses, discreet=w.asks_discreetly(session, flow))
        return
    if reading.failure is not None or reading.command is not None:
        discreet = w.asks_discreetly(session, flow)
        _reprompt(turn, step, reading.failure or "not_understood", discreet=discreet)
        return
    value = reading.value
    if step.sets == "timezone":
        info: ZipInfo | None = w.zip_lookup(str(value))
        session.timezone = info.timezone if info else w.settings.default_timezone
    if flow.kind == "onboarding" and step is flow.steps[0] and value is False:
        session.status = "declined"
        session.mode = "idle"
        turn.say(m.DECLINED)
        return
    why = _why_not_kept(w, turn, flow, step, value)
    if why is not None:
        _ask_when_again(w, turn, flow, why)
        return
    w.store(turn, flow, step, value)


def _why_not_kept(w: Walker, turn: Turn, flow: Flow, step: Step, value: object) -> str | None:
    """Why the day and time, with this answer to the day or the time step, cannot be kept,
    said kindly; None when they can. Already past, or closer to now than the flow's notice:
    TIME_PASSED. For a reminder, when every moment one could go before it is past or in
    quiet hours: the parent hears so at the answer, not a promise that would not be kept."""
    session = turn.session
    answers = session.plan.answers.get(flow.id, {})
    tz = zone(session.timezone, turn.default_timezone)
    if too_soon(flow, step, value, answers, turn.now, tz):
        return turn.voice(m.TIME_PASSED)
    if (
        flow.kind == "reminders"
        and _names_when(flow, step)
        and w.reminder_sends(turn, {**answers, step.id: value}) == []
    ):
        return no_time_to_remind(turn.voice, w.reminder_timing)
    return None


def _names_when(flow: Flow, step: Step) -> bool:
    """The day or the time step: the ones asked again when a day and time cannot be kept."""
    timed = upcoming_step(flow)
    if timed is None or timed.upcoming is None:
        return False
    return step.id in (timed.id, timed.upcoming.date)


def _why_gone(w: Walker, turn: Turn, flow: Flow) -> str | None:
    """At the read-back's yes: why the day and time set can no longer be kept (time went
    by, or a changed answer leaves no time for a reminder), or None."""
    timed = upcoming_step(flow)
    answers = turn.session.plan.answers.get(flow.id, {})
    if timed is None or timed.id not in answers:
        return None
    return _why_not_kept(w, turn, flow, timed, answers[timed.id])


def _ask_when_again(w: Walker, turn: Turn, flow: Flow, why: str) -> None:
    """Say why kindly and ask the day, then the time, again."""
    timed = upcoming_step(flow)
    assert timed is not None
    assert timed.upcoming is not None
    session = turn.session
    answers = session.plan.answers.get(flow.id, {})
    asked = (timed.upcoming.date, timed.id)
    for step_id in asked:
        answers.pop(step_id, None)
    session.trail = [e for e in session.trail if not (e[0] == flow.id and e[1] in asked)]
    w.goto(session, flow, timed.upcoming.date)
    turn.replies.append(why)
    w.prompt(turn)


def _ask_which(turn: Turn, step: Step, guesses: tuple[str, ...], *, discreet: bool) -> None:
    """ "Did you mean 2 (…) or 3 (…)?": the choices the reply fits, by number."""
    turn.session.tries += 1
    values = [c.value for c in step.choices]
    voice = turn.voice
    named = [
        f"{values.index(g) + 1} ({voice.choice(step, g, discreet=discreet)})"
        for g in guesses
        if g in values
    ]
    joined = ", ".join(named[:-1]) + f" {voice(m.OR)} " + named[-1]
    turn.replies.append(voice(m.DID_YOU_MEAN, choices=joined))


def _reprompt(turn: Turn, step: Step, reason: str, *, discreet: bool) -> None:
    """Kind, escalating re-prompts: a hint, then an example, then a way out. `discreet`: in
    the step's shared-phone words (Walker.asks_discreetly)."""
    session = turn.session
    session.tries += 1
    voice = turn.voice
    specific = REASONS.get(reason)
    own_hint = step.text("hint", discreet=discreet)
    hint = (
        voice(specific, max_length=step.max_length)
        if specific
        else voice(own_hint)
        if own_hint
        else voice(HINTS[step.type], minimum=step.minimum, maximum=step.maximum)
    )
    if session.tries == 1:
        turn.replies.append(f"{voice(m.HINT_PREFIX)} {hint}")
        turn.replies.append(voice.question(step, discreet=discreet))
    elif session.tries == 2:
        own_example = step.text("example", discreet=discreet)
        example = voice(own_example) if own_example else hint
        turn.replies.append(f"{voice(m.EXAMPLE_PREFIX)} {example}")
        turn.replies.append(voice.question(step, discreet=discreet))
    else:
        way_out = m.WAY_OUT_TALK if step.required else m.WAY_OUT_SKIP
        turn.replies.append(f"{voice(m.HINT_PREFIX)} {hint} {voice(way_out)}")


def _answer_readback(w: Walker, turn: Turn, text: str) -> None:
    session = turn.session
    flow = w.flows[session.flow or ""]
    steps = answered_route(flow, session.plan)
    try:
        number = parse_int(text, session.locale, 1, max(len(steps), 1))
    except ParseFailed:
        number = 0
    if number and steps:  # the prompt asks for an item's number: never yes/no here
        w.goto(session, flow, steps[number - 1].id)
        w.prompt(turn)
        return
    try:
        right = parse_yes_no(text, session.locale)
    except ParseFailed:
        turn.say(m.READBACK_CONFIRM)  # one short question, not the whole read-back again
        return
    why = _why_gone(w, turn, flow) if right else None
    if why is not None:
        _ask_when_again(w, turn, flow, why)
        return
    if right:
        w.finish_flow(turn, flow)
    else:
        session.mode = "fix"
        session.review = [s.id for s in steps]
        turn.say(m.READBACK_CHANGE_PICK)


def _answer_menu(w: Walker, turn: Turn, text: str) -> None:
    session = turn.session
    flows = w.flows.menu_flows
    options = [Option(f.id, tuple(dict.fromkeys((turn.voice(f.title), f.title)))) for f in flows]
    try:
        chosen = parse_choice(text, options, session.locale)
    except ParseFailed:
        _menu_yes_no(w, turn, text)
        return
    flow = w.flows[chosen]
    if flow.kind == "reminders":
        session.plan.answers.pop(flow.id, None)
    w.start_flow(turn, flow)


def _menu_yes_no(w: Walker, turn: Turn, text: str) -> None:
    """A "yes" at the menu goes on with the plan; anything else gets one short line."""
    session = turn.session
    try:
        go_on = parse_yes_no(text, session.locale)
    except ParseFailed:
        go_on = None
    open_sections = [f for f in w.flows.sections if not session.plan.is_done(f.id)]
    upcoming = next((f for f in open_sections if f.id == session.flow), None) or next(
        iter(open_sections), None
    )
    if go_on and upcoming is not None:
        w.start_flow(turn, upcoming)
    elif go_on is False:
        session.mode = "idle"
        session.flow = session.step = None
        turn.say(m.LATER)
    else:
        session.tries += 1
        turn.say(m.MENU_AGAIN)


def _answer_offer(w: Walker, turn: Turn, text: str) -> None:
    session = turn.session
    try:
        accepted = parse_yes_no(text, session.locale)
    except ParseFailed:
        if text.strip().isdigit():
            session.mode = "menu"  # a part's number: the menu picks it
            _answer_menu(w, turn, text)
            return
        turn.say(m.OFFER_AGAIN, title=turn.voice(w.flows[session.flow or ""].title))
        return
    if accepted and session.flow:
        w.start_flow(turn, w.flows[session.flow])
    else:
        session.mode = "idle"
        session.flow = None
        turn.say(m.LATER)


def _answer_restart(w: Walker, turn: Turn, text: str) -> None:
    session = turn.session
    try:
        confirmed = parse_yes_no(text, session.locale)
    except ParseFailed:
        turn.say(m.RESTART_CONFIRM)
        return
    if not confirmed:
        session.mode = session.resume or "idle"
        session.resume = None
        turn.say(m.RESTART_KEPT)
        w.prompt(turn)
        return
    onboarding = w.flows.onboarding
    consent = onboarding.steps[0].id
    kept = session.plan.answers.get(onboarding.id, {}).get(consent)
    session.plan.answers = {onboarding.id: {consent: kept}}
    session.plan.skipped = {}
    session.plan.dirty = list(session.plan.completed_at)
    session.plan.completed_at = {}
    session.trail = []
    session.review = []
    session.resume = None
    turn.say(m.RESTARTED)
    turn.voice = w.voice(session)
    w.start_flow(turn, onboarding)


def _answer_language(w: Walker, turn: Turn, text: str) -> None:
    session = turn.session
    locales = list(w.translator.locales)
    options = [Option(loc, (w.translator.language_name(loc), loc)) for loc in locales]
    try:
        chosen = parse_choice(text, options, session.locale)
    except ParseFailed:
        w.prompt(turn)
        return
    switch_language(w, turn, chosen)
