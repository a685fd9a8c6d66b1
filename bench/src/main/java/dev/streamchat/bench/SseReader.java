package dev.streamchat.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.parsetools.RecordParser;

/**
 * Reads one SSE response (OpenAI's {@code data:} chunks or streamchat's events) and records, for
 * every token stamp {@code ~<micros>} it carries, the time from the fake model writing the token
 * to now. Tokens stamped before the stream was open (replayed, not live) are not latency samples.
 * For the demo model, which stamps nothing, it records each chunk's lateness against the
 * model's schedule ({@code intervalMicros} apart) relative to the earliest chunk of the stream.
 */
final class SseReader {

  private final Recorder recorder;
  private final long openedAt = Clock.micros();
  private final long intervalMicros;
  private long scheduleBase = Long.MAX_VALUE;
  private boolean first = true;
  volatile long firstChunkAt;
  /** Completes when the response has ended (or failed). */
  final io.vertx.core.Promise<Void> ended = io.vertx.core.Promise.promise();

  SseReader(Recorder recorder, long intervalMicros) {
    this.recorder = recorder;
    this.intervalMicros = intervalMicros;
  }

  void attach(HttpClientResponse response) {
    RecordParser parser = RecordParser.newDelimited("\n\n", this::onEvent);
    response.handler(parser);
    response.exceptionHandler(err -> {
      recorder.failures.increment();
      ended.tryComplete();
    });
    response.endHandler(v -> {
      recorder.streamsEnded.increment();
      ended.tryComplete();
    });
  }

  private void onEvent(Buffer event) {
    long now = Clock.micros();
    String s = event.toString();
    if (firstChunkAt == 0 && (s.contains("\"seq\"") || s.contains("\"content\""))) firstChunkAt = now;
    boolean stamped = false;
    for (int i = s.indexOf('~'); i >= 0; i = s.indexOf('~', i + 1)) {
      long stamp = digits(s, i + 1);
      if (stamp < 0) continue;
      stamped = true;
      if (stamp < openedAt) continue;
      count(now - stamp);
    }
    if (!stamped && intervalMicros > 0) {
      int at = s.indexOf("\"seq\":");
      if (at < 0) return;
      long seq = digits(s, at + 6);
      long due = now - seq * intervalMicros;
      scheduleBase = Math.min(scheduleBase, due);
      count(due - scheduleBase);
    }
  }

  private void count(long micros) {
    recorder.tokens.increment();
    if (!recorder.on()) return;
    if (first) {
      first = false;
      recorder.firstToken.record(micros);
    }
    recorder.latency.record(micros);
  }

  private static long digits(String s, int from) {
    long v = 0;
    int i = from;
    while (i < s.length() && Character.isDigit(s.charAt(i))) v = v * 10 + (s.charAt(i++) - '0');
    return i == from ? -1 : v;
  }
}
