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

/** The admission decision on readings and a clock the test sets: bounds, persistence, hysteresis, Retry-After. */
class AdmissionTest {

  private final AtomicReference<Pressure.Reading> reading = new AtomicReference<>(new Pressure.Reading(0, 0));
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final Admission admission = new Admission(new Config.Admit(50, 1000), reading::get, now::get);

  private void read(double loopDelayMs, long pendingBytes) {
    reading.set(new Pressure.Reading(loopDelayMs, pendingBytes));
  }

  /** The reading lasts long enough to count as load. */
  private void lasts() {
    admission.update();
    now.addAndGet(Admission.PRESSED_MS);
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
    admission.admit(); // just passed: not yet load
    now.addAndGet(Admission.PRESSED_MS - 1);
    admission.admit();
    now.addAndGet(1);
    assertEquals(2, refusedRetryAfter(), "past the loop-delay bound for long enough: two seconds");

    Admission other = new Admission(new Config.Admit(50, 1000), () -> new Pressure.Reading(0, 4000), now::get);
    other.update();
    now.addAndGet(Admission.PRESSED_MS);
    Problem p = assertThrows(Problem.class, other::admit);
    assertEquals(8, p.retryAfterSeconds(), "four times the pending bound: eight seconds");
  }

  @Test
  void aShortStallRefusesNothing() {
    read(400, 0); // a garbage collection, or a fresh start's class loading
    admission.admit();
    now.addAndGet(Admission.PRESSED_MS - 100);
    read(5, 0);
    admission.admit();
    now.addAndGet(200);
    read(400, 0); // a second stall starts its own count
    admission.admit();
    now.addAndGet(Admission.PRESSED_MS - 1);
    admission.admit();
    assertFalse(admission.refusing());
    assertEquals(0, admission.refused());
  }

  @Test
  void retryAfterGrowsWithPressureAndIsCapped() {
    read(150, 0);
    lasts();
    assertEquals(6, refusedRetryAfter());
    read(10_000, 0);
    assertEquals(30, refusedRetryAfter());
    assertEquals(2, admission.refused());
  }

  @Test
  void reopensOnlyAfterBothReadingsStayBelowHalfForASecond() {
    read(80, 0);
    lasts();
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
