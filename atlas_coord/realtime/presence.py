"""Who is looking at a request right now: a count and the roles, kept per connection.

One entry per watching connection (``sid``). In one process the entries live in memory; with
Redis they live in one hash per request, ``<channel>:presence:request:<id>``, field = sid, value
= the viewer and an expiry time, so that every process sees the same viewers and the entries of a
process that died expire on their own. Each process refreshes its own entries on a heartbeat.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Viewer:
    user_id: int
    username: str
    roles: tuple[str, ...]


def summary(request_id: int, viewers: list[Viewer]) -> dict[str, Any]:
    """The ``presence`` payload: distinct users, connections, and how many users hold each role."""
    by_user: dict[int, Viewer] = {}
    for viewer in viewers:
        by_user.setdefault(viewer.user_id, viewer)
    roles: Counter[str] = Counter()
    for viewer in by_user.values():
        roles.update(set(viewer.roles))
    return {
        "request_id": request_id,
        "count": len(by_user),
        "connections": len(viewers),
        "roles": dict(sorted(roles.items())),
        "users": sorted(
            ({"username": v.username, "roles": list(v.roles)} for v in by_user.values()), key=lambda u: u["username"]
        ),
    }


class Presence(Protocol):
    def join(self, request_id: int, sid: str, viewer: Viewer) -> None: ...

    def leave(self, request_id: int, sid: str) -> None: ...

    def viewers(self, request_id: int) -> list[Viewer]: ...

    def refresh(self, local: dict[str, tuple[Viewer, set[int]]]) -> list[int]: ...


class MemoryPresence:
    """One process: entries die with their connection (or the process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[int, dict[str, Viewer]] = {}

    def join(self, request_id: int, sid: str, viewer: Viewer) -> None:
        with self._lock:
            self._requests.setdefault(request_id, {})[sid] = viewer

    def leave(self, request_id: int, sid: str) -> None:
        with self._lock:
            entries = self._requests.get(request_id)
            if entries is not None:
                entries.pop(sid, None)
                if not entries:
                    del self._requests[request_id]

    def viewers(self, request_id: int) -> list[Viewer]:
        with self._lock:
            return list(self._requests.get(request_id, {}).values())

    def refresh(self, local: dict[str, tuple[Viewer, set[int]]]) -> list[int]:
        return []


class RedisPresence:
    """Several processes: a Redis hash per request, each entry with its own expiry time."""

    def __init__(self, redis_client, *, prefix: str, ttl_seconds: float) -> None:
        self.redis = redis_client
        self.prefix = prefix
        self.ttl = ttl_seconds

    def _key(self, request_id: int) -> str:
        return f"{self.prefix}:presence:request:{request_id}"

    def _value(self, viewer: Viewer) -> str:
        return json.dumps({**asdict(viewer), "expires": time.time() + self.ttl})

    def join(self, request_id: int, sid: str, viewer: Viewer) -> None:
        key = self._key(request_id)
        pipe = self.redis.pipeline()
        pipe.hset(key, sid, self._value(viewer))
        pipe.expire(key, int(self.ttl * 2) + 1)
        pipe.execute()

    def leave(self, request_id: int, sid: str) -> None:
        self.redis.hdel(self._key(request_id), sid)

    def viewers(self, request_id: int) -> list[Viewer]:
        key = self._key(request_id)
        now = time.time()
        alive, stale = [], []
        for sid, raw in self.redis.hgetall(key).items():
            try:
                entry = json.loads(raw)
            except ValueError:
                stale.append(sid)
                continue
            if entry.get("expires", 0) < now:
                stale.append(sid)
                continue
            alive.append(Viewer(entry["user_id"], entry["username"], tuple(entry["roles"])))
        if stale:
            self.redis.hdel(key, *stale)
        return alive

    def refresh(self, local: dict[str, tuple[Viewer, set[int]]]) -> list[int]:
        """The heartbeat: rewrite this process's entries with a new expiry time, and drop expired
        entries of other (dead) processes. Returns the requests whose viewers changed."""
        changed: list[int] = []
        requests = sorted({rid for _, rids in local.values() for rid in rids})
        now = time.time()
        for request_id in requests:
            key = self._key(request_id)
            mine = {sid: viewer for sid, (viewer, rids) in local.items() if request_id in rids}
            stale = []
            for sid, value in self.redis.hgetall(key).items():
                sid_text = sid.decode() if isinstance(sid, bytes) else sid
                if sid_text in mine:
                    continue
                try:
                    expired = json.loads(value).get("expires", 0) < now
                except ValueError:
                    expired = True
                if expired:
                    stale.append(sid)
            pipe = self.redis.pipeline()
            pipe.hset(key, mapping={sid: self._value(viewer) for sid, viewer in mine.items()})
            if stale:
                pipe.hdel(key, *stale)
                changed.append(request_id)
            pipe.expire(key, int(self.ttl * 2) + 1)
            pipe.execute()
        return changed
