"""A burst of sign-ins queues for argon2 instead of taking every core: at most one hash or
verification per core runs at a time, the rest wait their turn and all of them finish (issue #18)."""

from __future__ import annotations

import threading

from atlas_coord.services import accounts


class HeldHasher:
    """Stands in for argon2: counts who is inside, holds everyone until the gate opens."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.most_inside = 0
        self.finished = 0
        self.entered = threading.Semaphore(0)
        self.gate = threading.Event()

    def _work(self, result):
        with self.lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        self.entered.release()
        self.gate.wait()
        with self.lock:
            self.inside -= 1
            self.finished += 1
        return result

    def verify(self, _hash: str, _password: str) -> bool:
        return self._work(True)

    def hash(self, _password: str) -> str:
        return self._work("$argon2id$held")


def test_a_sign_in_burst_never_runs_more_argon2_at_once_than_there_are_cores(monkeypatch):
    hasher = HeldHasher()
    monkeypatch.setattr(accounts, "_hasher", hasher)
    cores = accounts.ARGON2_CONCURRENCY
    burst = 3 * cores
    # Sign-ins (verifications) and new passwords (hashes) share the same slots.
    work = [lambda: accounts._password_matches("$argon2id$stored", "a password") for _ in range(burst)]
    work += [lambda: accounts.hash_password("a new password") for _ in range(cores)]
    threads = [threading.Thread(target=call, daemon=True) for call in work]
    for thread in threads:
        thread.start()

    for _ in range(cores):  # every core is busy ...
        assert hasher.entered.acquire(timeout=30)
    # ... and the rest of the burst waits outside rather than piling on.
    assert not hasher.entered.acquire(timeout=0.3)
    assert hasher.inside == cores

    hasher.gate.set()
    for thread in threads:
        thread.join(timeout=30)
    assert hasher.finished == len(work)  # everyone got their turn
    assert hasher.most_inside == cores
