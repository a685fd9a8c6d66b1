package dev.streamchat.web;

import dev.streamchat.ops.EndedGenerations;
import dev.streamchat.ops.Operations;
import dev.streamchat.ops.Viewers;
import dev.streamchat.stream.GenerationStatus;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * What the admin page shows at one moment, as display strings. Records compare by value, so the
 * admin stream re-renders a part only when it differs from what it last sent.
 */
record AdminSnapshot(Totals totals, List<LiveRow> live, List<EndedRow> ended) {

  private static final int ENDED_SHOWN = 100;
  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT).withZone(ZoneId.systemDefault());

  record Totals(int live, int viewers, String tokensPerSecond, long chunks, String bytesSent,
      int endedLastHour, int stoppedLastHour, int failedLastHour) {
  }

  record LiveRow(String id, String conversationId, String session, String model, String state,
      String started, String ttft, long chunks, String tokensPerSecond, int viewers, String lag,
      String bytesSent, String lastActivity) {
    public String shortId() {
      return shorten(id);
    }

    public String shortConversation() {
      return shorten(conversationId);
    }
  }

  record EndedRow(String id, String conversationId, String session, String model, String state,
      String error, String started, String ended, String ttft, long chunks, String tokensPerSecond,
      String bytesSent) {
    public String shortId() {
      return shorten(id);
    }

    public String shortConversation() {
      return shorten(conversationId);
    }
  }

  static AdminSnapshot take(Operations ops) {
    long now = System.currentTimeMillis();
    List<GenerationStatus> running = new ArrayList<>(ops.streams().running());
    running.sort(Comparator.comparingLong((GenerationStatus l) -> l.info().startedAt()).reversed()
        .thenComparing(GenerationStatus::id));
    List<LiveRow> live = new ArrayList<>(running.size());
    double tokensPerSecond = 0;
    long chunks = 0;
    for (GenerationStatus log : running) {
      Viewers.Summary v = ops.viewers().summary(log.id());
      long lastSeq = log.lastSeq();
      double tps = log.tokensPerSecond();
      tokensPerSecond += tps;
      chunks += lastSeq;
      live.add(new LiveRow(log.id(), log.info().conversationId(), session(log.info().owner()), log.info().model(),
          log.state().wire(), clock(log.info().startedAt()), millis(log.ttftMs()), lastSeq, decimal(tps),
          v.viewers(), v.viewers() == 0 ? "–" : String.valueOf(Math.max(0, lastSeq - v.slowestLastSent())),
          bytes(v.bytesSent()), clock(Math.max(log.lastChunkAt(), v.lastWriteAt()))));
    }
    List<EndedGenerations.Ended> all = ops.ended().recent(now, Integer.MAX_VALUE);
    List<EndedRow> ended = new ArrayList<>();
    int stopped = 0;
    int failed = 0;
    for (EndedGenerations.Ended e : all) {
      if (e.state().equals("stopped")) stopped++;
      if (e.state().equals("failed") || e.state().equals("interrupted")) failed++;
      if (ended.size() < ENDED_SHOWN) {
        ended.add(new EndedRow(e.id(), e.conversationId(), session(e.owner()), e.model(), e.state(), e.error(),
            clock(e.startedAt()), clock(e.endedAt()), millis(e.ttftMs()), e.chunks(),
            decimal(e.tokensPerSecond()), bytes(e.bytesSent())));
      }
    }
    Totals totals = new Totals(live.size(), ops.viewers().open(), decimal(tokensPerSecond), chunks,
        bytes((long) ops.viewers().bytesSent()), all.size(), stopped, failed);
    return new AdminSnapshot(totals, live, ended);
  }

  /** Enough of an id to tell rows apart; the whole id is in the cell's title. */
  static String shorten(String id) {
    return id == null ? "" : id.length() <= 8 ? id : id.substring(0, 8);
  }

  /** The session is stored as a hash of its cookie; a prefix of the hash tells sessions apart. */
  private static String session(String owner) {
    return shorten(owner);
  }

  private static String clock(long epochMillis) {
    return epochMillis <= 0 ? "–" : CLOCK.format(Instant.ofEpochMilli(epochMillis));
  }

  private static String millis(long ms) {
    return ms < 0 ? "–" : ms + " ms";
  }

  private static String decimal(double d) {
    return String.format(Locale.ROOT, "%.1f", d);
  }

  static String bytes(long n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
    if (n < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
    return String.format(Locale.ROOT, "%.2f GiB", n / (1024.0 * 1024 * 1024));
  }
}
