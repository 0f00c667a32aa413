"""Care-team delivery: directory, Part 2 consent, signed webhooks, FHIR and the plan API."""
