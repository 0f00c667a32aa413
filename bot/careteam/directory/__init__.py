"""The care-team directory (CARE_TEAM_FILE): organizations, members, endpoints, operators, tokens.

    model.py    the data: roles, webhook types, the pydantic models, Directory, Principal
    loading.py  reading a file: line-numbered problems, secrets from the environment
    tokens.py   bearer tokens and webhook secrets, stored only as salted hashes

Everything is re-exported here: `from bot.careteam.directory import Directory` keeps working.
"""

from bot.careteam.directory.loading import DirectoryError, DirectoryProblem, load_directory
from bot.careteam.directory.model import (
    CANT_REACH_EVENT,
    CONSENT_ROLES,
    CONSENTED_EVENTS,
    CRISIS_EVENT,
    DELETED_EVENT,
    EVENT_TYPES,
    HANDOFF_EVENT,
    NEED_EVENT,
    ON_CALL,
    ON_CALL_EVENTS,
    ROLE_LABELS,
    ROLES,
    SECTION_EVENT,
    ApiToken,
    Directory,
    Endpoint,
    EventType,
    Member,
    Operator,
    Organization,
    Principal,
    PrincipalKind,
    Program,
    Role,
    Serves,
    ServiceArea,
    team_view,
)
from bot.careteam.directory.tokens import (
    hash_token_secret,
    new_api_token,
    new_webhook_secret,
    split_token,
    verify_token_secret,
)

__all__ = [
    "CANT_REACH_EVENT",
    "CONSENTED_EVENTS",
    "CONSENT_ROLES",
    "CRISIS_EVENT",
    "DELETED_EVENT",
    "EVENT_TYPES",
    "HANDOFF_EVENT",
    "NEED_EVENT",
    "ON_CALL",
    "ON_CALL_EVENTS",
    "ROLES",
    "ROLE_LABELS",
    "SECTION_EVENT",
    "ApiToken",
    "Directory",
    "DirectoryError",
    "DirectoryProblem",
    "Endpoint",
    "EventType",
    "Member",
    "Operator",
    "Organization",
    "Principal",
    "PrincipalKind",
    "Program",
    "Role",
    "Serves",
    "ServiceArea",
    "hash_token_secret",
    "load_directory",
    "new_api_token",
    "new_webhook_secret",
    "split_token",
    "team_view",
    "verify_token_secret",
]
