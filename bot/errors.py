"""Safe Start's error tree. Codes live inside; translated text is made only at the edges.

SafeStartError
├── ConfigError            settings or a data file that cannot be used; the app refuses to start
│   └── FlowError          a conversations/*.yaml file that breaks the flow rules (file, line)
├── StoreError             Redis unreachable or a record that cannot be read
│   ├── StoreUnavailable   Redis did not answer in time; nothing was changed
│   ├── StoreContention    too many writers raced for one record; nothing was changed
│   ├── OutcomeUnknown     a write was sent but whether it ran is not known (yet)
│   └── DecryptionError    a value that does not decrypt with any known key
└── ChannelError           an inbound request that fails its channel's checks
    └── BadSignature       a Twilio request whose signature is missing or wrong
"""

from __future__ import annotations

from dataclasses import dataclass


class SafeStartError(Exception):
    """Base of every error Safe Start raises on purpose."""


class ConfigError(SafeStartError):
    """Settings or a data file that cannot be used."""


@dataclass(frozen=True, slots=True)
class FlowProblem:
    """One broken rule in a flow file, with where to look."""

    file: str
    line: int
    flow: str
    step: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.flow}.{self.step}" if self.step else self.flow
        return f"{self.file}:{self.line}: {where}: {self.message}"


class FlowError(ConfigError):
    """The shipped flows break one or more rules; each problem names file and line."""

    def __init__(self, problems: list[FlowProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StoreError(SafeStartError):
    """Redis could not do what was asked."""


class StoreUnavailable(StoreError):
    """Redis did not answer in time; nothing was changed."""


class StoreContention(StoreError):
    """Too many writers raced to change one record; nothing was changed."""


class OutcomeUnknown(StoreError):
    """A write was sent, Redis did not answer, and asking again found no answer either.

    It may have run. The caller must not say "not saved": fail so the sender retries the
    same message id, which then finds the stored replies.
    """


class DecryptionError(StoreError):
    """A stored value that does not decrypt with any known key."""


class ChannelError(SafeStartError):
    """An inbound request that fails its channel's checks."""


class BadSignature(ChannelError):
    """A Twilio request whose X-Twilio-Signature is missing or wrong."""
