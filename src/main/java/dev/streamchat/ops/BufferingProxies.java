package dev.streamchat.ops;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Viewers whose page found its live stream held back on the way (events arriving in lumps, or
 * not until the end): something between the browser and streamchat buffers it. One record per
 * session, the newest {@value #KEPT} sessions, in memory: it is advice for the operator, not an
 * audit log. Shared by every web verticle of the process.
 */
public final class BufferingProxies implements Shareable {

  static final int KEPT = 200;
  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT).withZone(ZoneId.systemDefault());
  private static final String MAP = "streamchat.ops";
  private static final String KEY = "bufferingProxies";

  /** What one viewer's page reported, with what its requests said about the way they came. */
  public record Report(String session, String kind, String detail, String userAgent, String remoteAddress,
      String forwardedFor, String via, int reports, long firstAt, long lastAt) {
    /** When the last report came, as the admin page shows times. */
    public String lastSeen() {
      return CLOCK.format(Instant.ofEpochMilli(lastAt));
    }
  }

  private final Map<String, Report> bySession = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Report> eldest) {
      return size() > KEPT;
    }
  };

  /** The registry of this Vert.x instance, made on first use. */
  public static BufferingProxies of(Vertx vertx) {
    var map = vertx.sharedData().<String, BufferingProxies>getLocalMap(MAP);
    BufferingProxies fresh = new BufferingProxies();
    BufferingProxies found = map.putIfAbsent(KEY, fresh);
    return found == null ? fresh : found;
  }

  /** Records a viewer's report; a session reporting again updates its record. */
  public synchronized void report(String session, String kind, String detail, String userAgent, String remoteAddress,
      String forwardedFor, String via) {
    long now = System.currentTimeMillis();
    Report before = bySession.get(session);
    bySession.put(session, new Report(session, kind, detail, userAgent, remoteAddress, forwardedFor, via,
        before == null ? 1 : before.reports() + 1, before == null ? now : before.firstAt(), now));
  }

  /** Every record, the most recent report first. */
  public synchronized List<Report> reports() {
    List<Report> all = new ArrayList<>(bySession.values());
    all.sort(Comparator.comparingLong(Report::lastAt).reversed());
    return all;
  }
}
