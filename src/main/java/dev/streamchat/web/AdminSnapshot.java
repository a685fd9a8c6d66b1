package dev.streamchat.web;

import dev.streamchat.chat.Admission;
import dev.streamchat.ops.EndedGenerations;
import dev.streamchat.ops.Operations;
import dev.streamchat.ops.Viewers;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.Pressure;
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

  /** {@code loopDelay}, {@code pending}, {@code refusing}: the live path's pressure and admission's decision. */
  record Totals(int live, int viewers, String tokensPerSecond, long chunks, String bytesSent,
      int endedLastHour, int stoppedLastHour, int failedLastHour, String loopDelay, String pending, boolean refusing) {
  }

  /** {@code instance}: the {@code host:port} of the instance writing it, "–" for a single process. */
  record LiveRow(String id, String conversationId, String title, String session, String model, String instance,
      String state,
      String started, String elapsed, String ttft, long chunks, String tokensPerSecond, int viewers, String lag,
      String bytesSent, String lastActivity, int held) {
    public String shortId() {
      return shorten(id);
    }

    public String shortConversation() {
      return shorten(conversationId);
    }
  }

  record EndedRow(String id, String conversationId, String title, String session, String model, String state,
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
      live.add(new LiveRow(log.id(), log.info().conversationId(), null, session(log.info().owner()),
          log.info().model(), ops.streams().runsOn(log.id()).orElse("–"), log.state().wire(),
          clock(log.info().startedAt()),
          elapsed(now - log.info().startedAt()), millis(log.ttftMs()), lastSeq, decimal(tps),
          v.viewers(), v.viewers() == 0 ? "–" : String.valueOf(Math.max(0, lastSeq - v.slowestLastSent())),
          bytes(v.bytesSent()), clock(Math.max(log.lastChunkAt(), v.lastWriteAt())), ops.filters().heldChars(log.id())));
    }
    List<EndedGenerations.Ended> all = ops.ended().recent(now, Integer.MAX_VALUE);
    List<EndedRow> ended = new ArrayList<>();
    int stopped = 0;
    int failed = 0;
    for (EndedGenerations.Ended e : all) {
      if (e.state().equals("stopped")) stopped++;
      if (e.state().equals("failed") || e.state().equals("interrupted")) failed++;
      if (ended.size() < ENDED_SHOWN) {
        ended.add(new EndedRow(e.id(), e.conversationId(), null, session(e.owner()), e.model(), e.state(), e.error(),
            clock(e.startedAt()), clock(e.endedAt()), millis(e.ttftMs()), e.chunks(),
            decimal(e.tokensPerSecond()), bytes(e.bytesSent())));
      }
    }
    Admission admission = ops.chat().quotas().admission();
    Pressure.Reading pressure = admission.lastReading();
    Totals totals = new Totals(live.size(), ops.viewers().open(), decimal(tokensPerSecond), chunks,
        bytes((long) ops.viewers().bytesSent()), all.size(), stopped, failed,
        Math.round(pressure.loopDelayMs()) + " ms", bytes(pressure.pendingBytes()), admission.refusing());
    return new AdminSnapshot(totals, live, ended);
  }

  /** The conversations' ids of every row, to look their titles up. */
  java.util.Set<String> conversationIds() {
    java.util.Set<String> ids = new java.util.HashSet<>();
    live.forEach(r -> ids.add(r.conversationId()));
    ended.forEach(r -> ids.add(r.conversationId()));
    return ids;
  }

  /** The same snapshot, each row naming its conversation by title (none when it is gone). */
  AdminSnapshot withTitles(java.util.Map<String, String> titles) {
    List<LiveRow> l = live.stream().map(r -> new LiveRow(r.id(), r.conversationId(), titles.get(r.conversationId()),
        r.session(), r.model(), r.instance(), r.state(), r.started(), r.elapsed(), r.ttft(), r.chunks(), r.tokensPerSecond(),
        r.viewers(), r.lag(), r.bytesSent(), r.lastActivity(), r.held())).toList();
    List<EndedRow> e = ended.stream().map(r -> new EndedRow(r.id(), r.conversationId(), titles.get(r.conversationId()),
        r.session(), r.model(), r.state(), r.error(), r.started(), r.ended(), r.ttft(), r.chunks(),
        r.tokensPerSecond(), r.bytesSent())).toList();
    return new AdminSnapshot(totals, l, e);
  }

  /** How long an answer has been running: "42 s", "3 min 05 s". */
  static String elapsed(long ms) {
    long s = Math.max(0, ms) / 1000;
    return s < 60 ? s + " s" : String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
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
