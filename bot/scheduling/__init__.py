"""The one scheduler for timed work, below every part that has some (tests/ci/test_layers.py).

Modules (imports point down):
    scheduler.py   APScheduler 3.11 facade: paused everywhere, one leader by Redis lease;
                   schedule / cancel jobs by deterministic id from any process
    firing.py      what a due job does (one due entry per job and planned time), in batches,
                   before the job leaves the store
    jobstore.py    APScheduler's job store: compact records in a bot/store JobTable
    loops.py       running background loops through Redis trouble and stopping them

Storage is bot/store's (no redis import here): reminder_jobs*.py (the job table, the due
log and its fired guards), lease.py, stream_group.py (how a due stream's consumer reads it).
"""
