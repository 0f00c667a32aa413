"""Care-team delivery: directory, Part 2 consent, signed webhooks, FHIR, the plan, needs and
report APIs, and erasure.

    directory/      who may receive what: organizations, members, endpoints, operators, tokens
    consent.py      PURE: Part 2 consent versions from the parent's answers
    recipients.py   PURE: who may see what under the newest version; on-call endpoints
    payload.py      PURE: snapshots and webhook bodies; fhir.py: the FHIR R4 Bundle
    plan_view.py    PURE: a whole plan as one reader may see it (sections, needs, visits)
    needs.py        PURE: who may see or change a need, the change, its webhook body
    records.py      Redis: consent versions, snapshots, audit log, delivery jobs
    delivery/       the worker: outbox in, consented jobs, signed posts out
    erasure.py      DELETE MY DATA: notices, cancelled jobs, every key erased
    reader.py, need_updates.py   plan reads and need changes, consent-checked and audited
    wiring.py       start/stop, called by app.py's composition root
    cli.py          `python -m bot careteam`
"""
