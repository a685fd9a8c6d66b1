package dev.streamchat.bench;

/** One monotonic clock in microseconds, shared by the fake model server and the clients. */
final class Clock {

  private Clock() {
  }

  static long micros() {
    return System.nanoTime() / 1000;
  }
}
