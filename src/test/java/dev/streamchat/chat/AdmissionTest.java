package dev.streamchat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.app.Config;
import dev.streamchat.stream.Pressure;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The admission decision on readings and a clock the test sets: bounds, hysteresis, Retry-After. */
class AdmissionTest {

  private final AtomicReference<Pressure.Reading> reading = new AtomicReference<>(new Pressure.Reading(0, 0));
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final Admission admission = new Admission(new Config.Admit(50, 1000), reading::get, now::get);

  private void read(double loopDelayMs, long pendingBytes) {
    reading.set(new Pressure.Reading(loopDelayMs, pendingBytes));
  }

  private int refusedRetryAfter() {
    Problem p = assertThrows(Problem.class, admission::admit);
    assertEquals(429, p.status());
    assertTrue(p.getMessage().contains("too busy"), p.getMessage());
    return p.retryAfterSeconds();
  }

  @Test
  void refusesPastEitherBoundAndAdmitsBelowIt() {
    read(49, 999);
    admission.admit();
    read(51, 0);
    assertEquals(2, refusedRetryAfter(), "just past the loop-delay bound: two seconds");

    Admission other = new Admission(new Config.Admit(50, 1000), () -> new Pressure.Reading(0, 4000), now::get);
    Problem p = assertThrows(Problem.class, other::admit);
    assertEquals(8, p.retryAfterSeconds(), "four times the pending bound: eight seconds");
  }

  @Test
  void retryAfterGrowsWithPressureAndIsCapped() {
    read(150, 0);
    assertEquals(6, refusedRetryAfter());
    read(10_000, 0);
    assertEquals(30, refusedRetryAfter());
    assertEquals(2, admission.refused());
  }

  @Test
  void reopensOnlyAfterBothReadingsStayBelowHalfForASecond() {
    read(80, 0);
    refusedRetryAfter();
    assertTrue(admission.refusing());

    read(30, 0); // below the bound but above half of it: still refusing
    now.addAndGet(5_000);
    refusedRetryAfter();

    read(20, 400); // below half of both: calm starts now
    refusedRetryAfter();
    now.addAndGet(Admission.CALM_MS - 1);
    refusedRetryAfter();

    read(20, 600); // pending back above half: the calm starts over
    admission.update();
    read(20, 400);
    now.addAndGet(10);
    refusedRetryAfter();
    now.addAndGet(Admission.CALM_MS);
    admission.admit();
    assertFalse(admission.refusing());

    read(45, 900); // admitting again: only past a bound does it refuse
    admission.admit();
  }
}
