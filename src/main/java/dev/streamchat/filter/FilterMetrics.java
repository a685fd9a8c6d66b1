package dev.streamchat.filter;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * What the filters report: redactions, answers and messages blocked, moderation latency, and the
 * characters each generation's filters hold back right now (for {@code /metrics} and the admin page).
 */
public final class FilterMetrics {

  private final MeterRegistry registry;
  /** Per running generation, what each of its filters holds now (read from the stages' own counters). */
  private final Map<String, List<IntSupplier>> held = new ConcurrentHashMap<>();

  public FilterMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("streamchat.filter.held.chars", held, FilterMetrics::total)
        .description("Characters of answers held back by filters now, not yet released").register(registry);
  }

  /** Matches replaced, by the stream they were in ({@code text} or {@code reasoning}). */
  void redacted(String stream, long count) {
    if (count > 0) Counter.builder("streamchat.filter.redactions").tag("stream", stream)
        .description("Matches of redaction rules replaced").register(registry).increment(count);
  }

  /**
   * An answer or message stopped, by reason: {@code moderation} (flagged), {@code unavailable}
   * (the endpoint failed: closed), {@code ending-phrase}, {@code message} (a person's message).
   */
  void blocked(String reason) {
    Counter.builder("streamchat.filter.blocks").tag("reason", reason)
        .description("Answers and messages stopped by filters").register(registry).increment();
  }

  /** One moderation call, by outcome: {@code ok}, {@code flagged}, {@code error}. */
  void moderation(long nanos, String outcome) {
    Timer.builder("streamchat.moderation.latency").tag("outcome", outcome)
        .description("Time the moderation endpoint took to judge a window").publishPercentileHistogram()
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A filter of a generation tells how much it holds through {@code chars}, until the generation {@link #ended}. */
  void track(String generationId, IntSupplier chars) {
    held.computeIfAbsent(generationId, k -> new CopyOnWriteArrayList<>()).add(chars);
  }

  /** The generation ended (however: done, failed, Stop): its filters hold nothing any more. */
  public void ended(String generationId) {
    held.remove(generationId);
  }

  /** Characters the filters of a generation hold back now. */
  public int heldChars(String generationId) {
    List<IntSupplier> filters = held.get(generationId);
    return filters == null ? 0 : filters.stream().mapToInt(IntSupplier::getAsInt).sum();
  }

  private static double total(Map<String, List<IntSupplier>> held) {
    return held.values().stream().flatMap(List::stream).mapToInt(IntSupplier::getAsInt).sum();
  }
}
