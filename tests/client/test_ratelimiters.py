"""Rate limiters: the delays client-go's limiters give, on a fake clock."""

from __future__ import annotations

import pytest

from minikube_py.client.workqueue import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    ItemFastSlowRateLimiter,
    MaxOfRateLimiter,
    default_controller_rate_limiter,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("base", "cap", "expected"), [
    pytest.param(0.005, 1000.0, [0.005, 0.01, 0.02, 0.04, 0.08], id="controller-default"),
    pytest.param(1.0, 5.0, [1.0, 2.0, 4.0, 5.0, 5.0], id="capped"),
])
def test_exponential_doubles_per_failure(base: float, cap: float,
                                         expected: list[float]) -> None:
    """Each failure of a key doubles its delay, up to the cap."""
    limiter = ItemExponentialFailureRateLimiter(base, cap)
    assert [limiter.when("a") for _ in expected] == pytest.approx(expected)
    assert limiter.num_requeues("a") == len(expected)


def test_exponential_is_per_key_and_forget_resets() -> None:
    """Keys back off independently; forget() starts a key over."""
    limiter = ItemExponentialFailureRateLimiter(1.0, 100.0)
    limiter.when("a")
    limiter.when("a")
    assert limiter.when("b") == 1.0
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0 and limiter.when("a") == 1.0


def test_exponential_survives_very_many_failures() -> None:
    """After thousands of failures the delay is the cap (no overflow)."""
    limiter = ItemExponentialFailureRateLimiter(0.005, 1000.0)
    for _ in range(5000):
        delay = limiter.when("a")
    assert delay == 1000.0


def test_bucket_allows_burst_then_spaces_by_qps() -> None:
    """burst retries go at once; the next ones are 1/qps apart; tokens refill with time."""
    clock = FakeClock()
    limiter = BucketRateLimiter(qps=10, burst=3, clock=clock)
    delays = [limiter.when(f"k{i}") for i in range(6)]
    assert delays == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2, 0.3])
    clock.now = 10.0  # long enough to refill the bucket fully (the debt is paid too)
    assert [limiter.when("x") for _ in range(3)] == pytest.approx([0.0, 0.0, 0.0])
    assert limiter.num_requeues("k0") == 0


def test_max_of_takes_the_longest_delay() -> None:
    """MaxOf returns the largest delay of its limiters and forwards forget."""
    clock = FakeClock()
    limiter = MaxOfRateLimiter(ItemExponentialFailureRateLimiter(0.005, 1000.0),
                               BucketRateLimiter(qps=10, burst=2, clock=clock))
    assert limiter.when("a") == pytest.approx(0.005)
    assert limiter.when("a") == pytest.approx(0.01)
    assert limiter.when("b") == pytest.approx(0.1)  # the bucket is empty: it dominates
    assert limiter.num_requeues("a") == 2
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0


def test_fast_slow_switches_after_max_fast_attempts() -> None:
    """The first attempts use the fast delay, the rest the slow one."""
    limiter = ItemFastSlowRateLimiter(0.1, 10.0, max_fast_attempts=2)
    assert [limiter.when("a") for _ in range(4)] == [0.1, 0.1, 10.0, 10.0]


def test_default_controller_rate_limiter_is_client_gos() -> None:
    """Max of per-key 5 ms..1000 s and an overall 10 qps / 100 burst bucket."""
    limiter = default_controller_rate_limiter()
    exp, bucket = limiter.limiters
    assert isinstance(exp, ItemExponentialFailureRateLimiter)
    assert (exp.base_delay, exp.max_delay) == (0.005, 1000.0)
    assert isinstance(bucket, BucketRateLimiter)
    assert (bucket.qps, bucket.burst) == (10, 100)
    assert limiter.when("a") == pytest.approx(0.005)
