package dev.streamchat.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in microseconds, recorded from any thread: exact below 1 ms, then 64 buckets per
 * power of two (under 1.6 % error), so millions of samples cost a few kilobytes.
 */
final class Histogram {

  private static final int LINEAR = 1024;
  private static final int SUB = 64;
  private static final int BUCKETS = LINEAR + 40 * SUB;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final AtomicLong total = new AtomicLong();
  private final AtomicLong max = new AtomicLong();

  void record(long micros) {
    long v = Math.max(0, micros);
    counts.incrementAndGet(index(v));
    total.incrementAndGet();
    max.accumulateAndGet(v, Math::max);
  }

  long count() {
    return total.get();
  }

  long maxMicros() {
    return max.get();
  }

  /** The value at quantile q (0..1), in microseconds: the upper edge of its bucket. */
  long quantile(double q) {
    long n = total.get();
    if (n == 0) return 0;
    long rank = Math.max(1, (long) Math.ceil(q * n));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts.get(i);
      if (seen >= rank) return Math.min(upper(i), max.get());
    }
    return max.get();
  }

  double quantileMs(double q) {
    return quantile(q) / 1000.0;
  }

  double maxMs() {
    return max.get() / 1000.0;
  }

  private static int index(long v) {
    if (v < LINEAR) return (int) v;
    int exp = 63 - Long.numberOfLeadingZeros(v);
    int sub = (int) ((v >>> (exp - 6)) & (SUB - 1));
    return Math.min(BUCKETS - 1, LINEAR + (exp - 10) * SUB + sub);
  }

  private static long upper(int i) {
    if (i < LINEAR) return i;
    int exp = (i - LINEAR) / SUB + 10;
    int sub = (i - LINEAR) % SUB;
    return (1L << exp) + ((long) (sub + 1) << (exp - 6)) - 1;
  }
}
