"""Reminders: appointments and recovery supports texted at the right local time, discreetly.

Modules (imports point down):
    wiring.py      start_reminders / stop_reminders, called by app.py's composition root
    (bot/web/reminders.py: POST /api/v1/plans/{plan_id}/appointments, the care-team API)
    intake.py      outbox events (ReminderRequested, onboarding changes, REMINDERS, cancel n,
                   DELETE MY DATA) -> appointments and replies; add_appointment() for the API
    replies.py     the REMINDERS list and cancel-by-number, texted with reply priority
    dispatcher.py  due stream -> checks (STOP, NO REMINDERS, grace, quiet hours) -> Sender
    reach.py       delivery failures -> the care team's "cant_reach" flag (CantReach event)
    planner.py     which jobs exist for a contact; the standard schedule's offers
    scheduler.py   only `fire` by the name stored jobs give it (the scheduler: bot/scheduling/)
    ratelimit.py   token bucket per sender, replies ahead of bulk
    store.py       appointments and offers over bot/store's ReminderRecords (sealed there)
    texts.py       N_() templates: discreet by default
    milestones.py  PURE: the standard visit schedule from due / birth date, catch-up
    rules.py       PURE: grace and quiet hours at dispatch; the send times (lead times, quiet
                   hours, best time, DST) are bot/engine/reminder_times.py, named here too
    prefs.py       PURE: what a session says (may we text, zone, detail); engine-safe

The scheduler (APScheduler 3.11, one leader by lease, the compact job store, the firing
into the due stream) is bot/scheduling/, the one scheduler for timed work.

Storage is bot/store's (no redis import here): reminder_records*.py (per contact),
reminder_jobs*.py (the job table, the due log and its guards), reminder_redis.py (all of it
on one Redis, opened by wiring), keys/reminders.py (every key), lease.py, stream_group.py.

Why APScheduler 3.11, not 4.x: 4.0 is an alpha ("do not use in production") with no Redis
data store, and two schedulers on one store ran jobs twice in a prototype; 3.11's Redis job
store works when exactly one scheduler processes it, which the lease guarantees
(see bot/scheduling/scheduler.py and ../shared/tech-notes.md).

Guarantees: a reminder (appointment occurrence x lead) is sent at most once: a SET NX guard
per (job, planned time) in the job and per (job, occurrence) before sending. A reminder
missed while no process ran goes once if still within its kind's grace (rules.DEFAULT_KINDS),
else it is dropped with the log line "reminder dropped: missed its grace period". Planned
sends are never in quiet hours (Settings.quiet_hours, default 20:00-09:00 in the parent's
zone) and never after the appointment; one that would be is moved, not dropped. The engine
works the same times out when a parent adds a reminder and says them ("We'll text you a
reminder today around 7:45 PM"); when none can go in time it says so and asks again.

What the engine / service do, and what they may call (the engine is pure; the service applies):
- STOP needs nothing more: the dispatcher loads the session (store.load(address)) right
  before each send (again after waiting for the rate limit) and sends nothing unless
  `prefs.suppression(session)` is None: status "active" and not plan.prefs["reminders_off"]
  (NO REMINDERS; REMINDERS ON removes it). START (status "active" again) resumes; jobs keep
  being planned meanwhile, so nothing has to be rebuilt.
- Detailed reminders (kind and place shown): plan.prefs["detailed_reminders"] = True (the
  engine sets it on the parent's choice and removes it to opt out; `prefs.set_detailed`).
  The dispatcher reads it from the session it loads right before each send. Default: discreet.
- Replies: app.py passes `note_reminder=engine.note_reminder` to start_reminders; after each
  reminder is sent the dispatcher stores it in the session (reminder id = appointment id),
  so C / R / RIDE answer it. The engine's ReminderReplied(id, action) comes back through the
  outbox; intake sets the appointment's status (confirmed / reschedule_requested /
  ride_requested; a one-off waiting for a new time gets no more reminders) and re-plans on
  "on". The care team reads R and RIDE from the same outbox event.
- REMINDERS: the engine emits RemindersListRequested and replies nothing; intake texts the
  numbered list (replies.py: soonest first, at most LIST_MAX, discreet unless detailed,
  dates in the parent's zone and language). A bare number n after it: the engine emits
  ReminderCancelRequested(n); intake resolves n against the list as it would be made then
  and cancels that appointment (`planner.cancel`). Each request is answered once, even if
  its outbox entry is delivered again. Bare CANCEL is a carrier/FCC opt-out word (domain.md
  section 4) and must stay one.
  `Reminders.store.last_sent(contact)` tells which appointment the newest reminder was about.
- The end of onboarding emits no event today: the standard schedule is synced on the
  contact's next event of any kind (at most daily). Emitting SectionCompleted("onboarding")
  (or any event) then would schedule the first offer at once. AnswerChanged on zip,
  best_time, stage, due_date or birth_date re-plans everything.
- Delivery failures: POST /twilio/status hands every status to `Reminders.reach`
  (failed / undelivered count, once per message sid; a send the API refused counts too).
  Three failed texts on three different local days set plan.flags["cant_reach"] through
  `transact` and emit CantReach(failures, days), once while the flag stands; never an
  unsubscribe. "delivered" starts the count again and leaves the flag to the care team.
- DELETE MY DATA: `await Reminders.planner.forget(contact)` (idempotent, before or after
  store.erase_contact) removes the contact's jobs, due entries and fired/sent guards, which
  live under {rem} where erase_contact does not look, and its per-contact keys. Intake also
  calls it on ErasureRequested and ignores later events of a contact with no address; the
  dispatcher calls it on meeting a due entry of such a contact.
- Texts the app sends out of band that should go ahead of reminders: `Reminders.sender`
  (a PacedSender sharing the dispatcher's token bucket; `send` has reply priority).
"""
