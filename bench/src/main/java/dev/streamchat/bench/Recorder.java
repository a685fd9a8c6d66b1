package dev.streamchat.bench;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the clients of one measurement saw: the added latency of every token received while
 * recording is on (first tokens apart), and how many tokens arrived.
 */
final class Recorder {

  final Histogram latency = new Histogram();
  final Histogram firstToken = new Histogram();
  final LongAdder tokens = new LongAdder();
  final LongAdder streamsEnded = new LongAdder();
  final LongAdder failures = new LongAdder();
  private volatile boolean on;

  Recorder(boolean on) {
    this.on = on;
  }

  void on(boolean value) {
    on = value;
  }

  boolean on() {
    return on;
  }
}
