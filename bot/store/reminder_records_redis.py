"""`ReminderRecords` in Redis: hashes and strings under the contact's {c:...} tag (the send
guards under {rem}), every value sealed and bound to its key (and field)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from redis.asyncio import Redis
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.store.crypto import Cipher
from bot.store.keys import field_aad
from bot.store.keys.reminders import ReminderKeys
from bot.store.redis_calls import as_bytes
from bot.store.reminder_records import (
    FAILURE_TTL,
    LAST_SENT_TTL,
    REPLIED_TTL,
    SENT_TTL,
    Document,
    offer_item,
    series_of_item,
)
from bot.store.replicated import replicated
from bot.store.send_claims import (
    FINISH,
    GIVE_BACK,
    NOTE,
    TAKE,
    SendClaim,
    parse_requests,
    send_tag,
)


class RedisReminderRecords:
    def __init__(self, redis: Redis, cipher: Cipher, keys: ReminderKeys) -> None:
        self._redis = redis
        self._cipher = cipher
        self.keys = keys

    async def _put(self, key: str, field: str, doc: Document) -> None:
        await self._redis.hset(key, field, self._cipher.encrypt_json(doc, field_aad(key, field)))

    async def _get(self, key: str, field: str) -> Document | None:
        raw = await self._redis.hget(key, field)
        if raw is None:
            return None
        return dict(self._cipher.decrypt_json(as_bytes(raw), field_aad(key, field)))

    async def _all(self, key: str) -> dict[str, Document]:
        found = {}
        for raw_field, raw in (await self._redis.hgetall(key)).items():
            field = as_bytes(raw_field).decode()
            found[field] = dict(self._cipher.decrypt_json(as_bytes(raw), field_aad(key, field)))
        return found

    async def put_appointment(self, contact: str, appointment_id: str, doc: Document) -> None:
        await self._put(self.keys.appointments(contact), appointment_id, doc)

    async def appointment(self, contact: str, appointment_id: str) -> Document | None:
        return await self._get(self.keys.appointments(contact), appointment_id)

    async def appointments(self, contact: str) -> list[Document]:
        return list((await self._all(self.keys.appointments(contact))).values())

    async def remove_appointment(self, contact: str, appointment_id: str) -> bool:
        return bool(await self._redis.hdel(self.keys.appointments(contact), appointment_id))

    async def put_offer(self, contact: str, series: str, doc: Document) -> None:
        await self._put(self.keys.offers(contact), series, doc)

    async def offer(self, contact: str, series: str) -> Document | None:
        return await self._get(self.keys.offers(contact), series)

    async def offers(self, contact: str) -> Mapping[str, Document]:
        return await self._all(self.keys.offers(contact))

    def offer_item(self, contact: str, series: str) -> str:
        return offer_item(self._cipher.id_key, contact, series)

    async def offer_series(self, contact: str, item: str) -> str | None:
        fields = await self._redis.hkeys(self.keys.offers(contact))
        series = [as_bytes(field).decode() for field in fields]
        return series_of_item(self._cipher.id_key, contact, item, series)

    async def remove_offer(self, contact: str, series: str) -> None:
        await self._redis.hdel(self.keys.offers(contact), series)

    async def mark_offered(self, contact: str, milestone: str) -> None:
        # Names like "baby-2m" tell a baby's age: sealed.
        names = await self.offered(contact)
        if milestone in names:
            return
        key = self.keys.offered(contact)
        await self._redis.set(key, self._cipher.encrypt_json(sorted(names | {milestone}), key))

    async def offered(self, contact: str) -> set[str]:
        key = self.keys.offered(contact)
        raw = await self._redis.get(key)
        return set() if raw is None else set(self._cipher.decrypt_json(as_bytes(raw), key))

    async def take_send(
        self, job_id: str, occurrence: str, attempt: str, now_ms: int, stale_ms: int
    ) -> SendClaim:
        """Counts once a replica that could take over holds it too (a failover must not
        forget it and text again): else it raises and the due entry stays pending. A new
        claim is given back first; a takeover stays, busy until stale, then taken again."""
        key = self.keys.sent(job_id, occurrence)
        ttl = int(SENT_TTL.total_seconds())
        command = ("EVAL", TAKE, 1, key, attempt, now_ms, stale_ms, ttl)
        answer, durable = await replicated(self._redis, key, command)
        state, since, rest = (as_bytes(part).decode() for part in answer)
        if state in ("new", "taken") and not durable:
            if state == "new":
                await self._redis.eval(GIVE_BACK, 1, key, attempt)
            raise RedisTimeoutError("a reminder's claim did not reach a replica in time")
        return SendClaim(state, int(since), parse_requests(rest))  # type: ignore[arg-type]

    async def note_request(
        self, job_id: str, occurrence: str, attempt: str, now_ms: int, request: str
    ) -> bool:
        key = self.keys.sent(job_id, occurrence)
        command = ("EVAL", NOTE, 1, key, attempt, now_ms, request)
        noted, durable = await replicated(self._redis, key, command)
        if noted and not durable:
            raise RedisTimeoutError("a reminder's request did not reach a replica in time")
        return bool(noted)

    async def finish_send(self, job_id: str, occurrence: str, attempt: str, outcome: str) -> None:
        await self._redis.eval(FINISH, 1, self.keys.sent(job_id, occurrence), attempt, outcome)

    def send_tag(self, body: str | None) -> str:
        return send_tag(self._cipher.id_key, body)

    async def record_sent(self, contact: str, record: Mapping[str, str]) -> None:
        key = self.keys.last_sent(contact)
        sealed = self._cipher.encrypt_json(dict(record), key)
        await self._redis.set(key, sealed, ex=int(LAST_SENT_TTL.total_seconds()))

    async def last_sent(self, contact: str) -> dict[str, str] | None:
        key = self.keys.last_sent(contact)
        raw = await self._redis.get(key)
        return None if raw is None else dict(self._cipher.decrypt_json(as_bytes(raw), key))

    async def first_within(self, contact: str, seconds: int) -> bool:
        return bool(await self._redis.set(self.keys.synced(contact), b"1", nx=True, ex=seconds))

    async def claim_reply(self, contact: str, entry_id: str) -> bool:
        key = self.keys.replied(contact)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, entry_id, b"1")
            pipe.expire(key, int(REPLIED_TTL.total_seconds()))
            claimed, _ = await pipe.execute()
        return bool(claimed)

    async def record_failure(self, contact: str, message_id: str, day: date) -> tuple[int, int]:
        key = self.keys.failures(contact)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, message_id, day.isoformat())
            pipe.expire(key, int(FAILURE_TTL.total_seconds()))
            pipe.hvals(key)
            _, _, days = await pipe.execute()
        return len(days), len(set(days))

    async def clear_failures(self, contact: str) -> None:
        await self._redis.delete(self.keys.failures(contact))

    async def forget(self, contact: str) -> int:
        return int(await self._redis.delete(*self.keys.per_contact(contact)))
