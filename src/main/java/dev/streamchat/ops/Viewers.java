package dev.streamchat.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Everyone watching a generation over SSE: how far each viewer has got and how many bytes it was
 * sent, for the admin page and the metrics. A viewer writes only plain volatile fields and adders
 * on its own event loop; readers take a consistent-enough snapshot when they render.
 */
public final class Viewers implements Shareable {

  private static final String MAP = "streamchat.ops";
  private static final String KEY = "viewers";

  /** The viewers of one generation, and the bytes sent to every viewer it ever had. */
  private static final class Watch {
    final Set<Viewer> viewers = ConcurrentHashMap.newKeySet();
    final LongAdder bytes = new LongAdder();
    volatile boolean ended;
  }

  /** What the admin page shows about a generation's viewers. */
  public record Summary(int viewers, long slowestLastSent, long bytesSent, long lastWriteAt) {
    static final Summary NONE = new Summary(0, -1, 0, 0);
  }

  private final Map<String, Watch> byGeneration = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();
  private final Counter bytesSent;
  private final Counter resumes;

  public Viewers(MeterRegistry registry) {
    Gauge.builder("streamchat.viewers", open, AtomicInteger::get)
        .description("SSE viewers connected now").register(registry);
    bytesSent = Counter.builder("streamchat.sse.sent").baseUnit("bytes")
        .description("Bytes written to SSE viewers").register(registry);
    resumes = Counter.builder("streamchat.viewer.resumes")
        .description("Viewers that connected with a cursor above 0 (a reload or reconnect)").register(registry);
  }

  /** Makes this registry the one {@link #of(Vertx)} answers for this Vert.x instance. */
  public void install(Vertx vertx) {
    vertx.sharedData().getLocalMap(MAP).put(KEY, this);
  }

  /** The registry {@link #install(Vertx) installed} on this Vert.x instance. */
  public static Viewers of(Vertx vertx) {
    Object found = vertx.sharedData().getLocalMap(MAP).get(KEY);
    if (found == null) throw new IllegalStateException("no viewer registry installed");
    return (Viewers) found;
  }

  /** A viewer of generation {@code generationId} starts after chunk {@code cursor}. */
  public Viewer join(String generationId, long cursor) {
    if (cursor > 0) resumes.increment();
    open.incrementAndGet();
    Viewer viewer = new Viewer(this, generationId, cursor);
    byGeneration.compute(generationId, (id, w) -> {
      Watch watch = w == null ? new Watch() : w;
      watch.viewers.add(viewer);
      viewer.watch = watch;
      return watch;
    });
    return viewer;
  }

  void left(Viewer viewer) {
    open.decrementAndGet();
    byGeneration.computeIfPresent(viewer.generationId, (id, w) -> {
      w.viewers.remove(viewer);
      return w.viewers.isEmpty() && w.ended ? null : w;
    });
  }

  void sent(Viewer viewer, int bytes) {
    viewer.watch.bytes.add(bytes);
    bytesSent.increment(bytes);
  }

  /** How many watch the generation now; without walking them, as admitting each of 10,000 viewers would. */
  public int count(String generationId) {
    Watch w = byGeneration.get(generationId);
    return w == null ? 0 : w.viewers.size();
  }

  public Summary summary(String generationId) {
    Watch w = byGeneration.get(generationId);
    if (w == null) return Summary.NONE;
    long slowest = -1;
    long lastWrite = 0;
    int count = 0;
    for (Viewer v : w.viewers) {
      count++;
      slowest = slowest < 0 ? v.lastSent() : Math.min(slowest, v.lastSent());
      lastWrite = Math.max(lastWrite, v.lastWriteAt());
    }
    return new Summary(count, slowest, w.bytes.sum(), lastWrite);
  }

  /** A generation ended: its figures are final, so it is dropped once nobody watches it. */
  public Summary ended(String generationId) {
    Summary s = summary(generationId);
    byGeneration.computeIfPresent(generationId, (id, w) -> {
      w.ended = true;
      return w.viewers.isEmpty() ? null : w;
    });
    return s;
  }

  public int open() {
    return open.get();
  }

  public double bytesSent() {
    return bytesSent.count();
  }

  /** One SSE viewer; its methods are called from its connection's event loop only. */
  public static final class Viewer {
    private final Viewers registry;
    private final String generationId;
    private Watch watch;
    private volatile long lastSent;
    private volatile long lastWriteAt;
    private boolean left;

    private Viewer(Viewers registry, String generationId, long cursor) {
      this.registry = registry;
      this.generationId = generationId;
      this.lastSent = cursor;
    }

    /** {@code bytes} were written; {@code seq} is the last chunk they carry (0 when none). */
    public void sent(long seq, int bytes) {
      if (seq > 0) lastSent = seq;
      lastWriteAt = System.currentTimeMillis();
      registry.sent(this, bytes);
    }

    public void leave() {
      if (left) return;
      left = true;
      registry.left(this);
    }

    long lastSent() {
      return lastSent;
    }

    long lastWriteAt() {
      return lastWriteAt;
    }
  }
}
