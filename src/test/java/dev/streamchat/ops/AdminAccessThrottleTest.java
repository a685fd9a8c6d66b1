package dev.streamchat.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The lock-out lasts until the oldest wrong token is a minute old, and is per address. */
class AdminAccessThrottleTest {

  @Test
  void anAddressMayTryAgainOnceItsOldestGuessIsAMinuteOld() {
    AtomicLong now = new AtomicLong(1_000_000);
    AdminAccess access = new AdminAccess("secret", 3, now::get);
    access.failedAttempt("10.0.0.1");
    now.addAndGet(20_000);
    access.failedAttempt("10.0.0.1");
    access.failedAttempt("10.0.0.1");
    assertEquals(40, access.lockedSeconds("10.0.0.1"), "until the first guess is 60 s old");
    assertEquals(0, access.lockedSeconds("10.0.0.2"), "another address is not locked");
    now.addAndGet(39_000);
    assertEquals(1, access.lockedSeconds("10.0.0.1"));
    now.addAndGet(1_000);
    assertEquals(0, access.lockedSeconds("10.0.0.1"), "free again");
    access.failedAttempt("10.0.0.1");
    assertEquals(20, access.lockedSeconds("10.0.0.1"), "three within the last minute again");
  }
}
