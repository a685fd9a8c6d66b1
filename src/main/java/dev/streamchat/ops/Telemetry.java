package dev.streamchat.ops;

import dev.streamchat.model.ModelProvider;
import dev.streamchat.model.ModelRequest;
import dev.streamchat.model.StreamHandle;
import dev.streamchat.model.Failure;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.StreamStore;
import dev.streamchat.chat.Admission;
import dev.streamchat.stream.Pressure;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.impl.MicrometerMetrics;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The application's own meters (generations, chunks, tokens, failures), kept in the Prometheus
 * registry Vert.x reports its own metrics and the JVM's into.
 */
public final class Telemetry {

  private static final Duration[] TTFT_BUCKETS = seconds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);
  private static final Duration[] INTERVAL_BUCKETS =
      seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5);

  private final PrometheusMeterRegistry registry;

  public Telemetry(PrometheusMeterRegistry registry, StreamStore streams) {
    this.registry = registry;
    Gauge.builder("streamchat.generations.live", streams, s -> s.running().size())
        .description("Generations running now").register(registry);
  }

  /** The live path's pressure and what admission makes of it. */
  public void pressure(Pressure pressure, Admission admission) {
    Gauge.builder("streamchat.live.loop.delay", pressure, p -> p.loopDelayMs() / 1000).baseUnit("seconds")
        .description("How late the worst event loop runs its timer (smoothed; a stuck loop counts while stuck)")
        .register(registry);
    Gauge.builder("streamchat.live.pending", pressure, Pressure::pendingBytes).baseUnit("bytes")
        .description("Answer text held by journal writers, not yet durable").register(registry);
    Gauge.builder("streamchat.admission.refusing", admission, a -> a.refusing() ? 1 : 0)
        .description("1 while new answers are refused for pressure").register(registry);
    FunctionCounter.builder("streamchat.admission.refused", admission, Admission::refused)
        .description("New answers refused for pressure (429)").register(registry);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * A Vert.x instance with {@code eventLoops} event loops, reporting through Micrometer as
   * {@link #vertxOptions(int)} says, with its HTTP server metrics made safe for connections
   * accepted while a server starts ({@link NullSafeMetrics}).
   */
  public static Vertx newVertx(int eventLoops) {
    MicrometerMetricsFactory micrometer = new MicrometerMetricsFactory();
    return Vertx.builder().with(vertxOptions(eventLoops))
        .withMetrics(options -> new NullSafeMetrics(micrometer.metrics(options))).build();
  }

  /**
   * Options for a Vert.x instance with {@code eventLoops} event loops (Vert.x's own default is two
   * per core) that reports its metrics and the JVM's through Micrometer into a Prometheus registry
   * of its own (several instances in one JVM, as in tests, stay apart).
   */
  public static VertxOptions vertxOptions(int eventLoops) {
    return new VertxOptions().setEventLoopPoolSize(eventLoops).setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .setRegistryName("streamchat-" + UUID.randomUUID())
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
  }

  /**
   * The Prometheus registry this Vert.x instance reports into; when it was made without
   * {@link #vertxOptions(int)}, a registry of the application's own meters alone.
   */
  public static PrometheusMeterRegistry registry(Vertx vertx) {
    if (vertx instanceof VertxInternal internal && internal.metrics() instanceof MicrometerMetrics metrics
        && metrics.registry() instanceof PrometheusMeterRegistry prometheus) {
      return prometheus;
    }
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  /** The providers, each reporting its chunks, timings, tokens and failures. */
  public List<ModelProvider> metered(List<ModelProvider> providers) {
    return providers.stream().<ModelProvider>map(Metered::new).toList();
  }

  /** Counts a generation that has ended, by its final state. */
  public void ended(GenerationStatus log) {
    Counter.builder("streamchat.generations.ended").tag("state", log.state().wire())
        .description("Generations that ended, by final state").register(registry).increment();
  }

  private static Duration[] seconds(double... values) {
    Duration[] out = new Duration[values.length];
    for (int i = 0; i < values.length; i++) out[i] = Duration.ofNanos((long) (values[i] * 1e9));
    return out;
  }

  /** A provider whose streams are measured on their way to the generation worker. */
  private final class Metered implements ModelProvider {
    private final ModelProvider provider;
    private final Timer ttft;
    private final Timer interval;
    private final Counter chunks;
    private final Counter completionTokens;
    private final Counter promptTokens;
    private final Counter startFailures;
    private final Counter modelFailures;

    Metered(ModelProvider provider) {
      this.provider = provider;
      String name = provider.name();
      ttft = Timer.builder("streamchat.time.to.first.token").tag("provider", name)
          .description("From asking the model to its first chunk")
          .serviceLevelObjectives(TTFT_BUCKETS).register(registry);
      interval = Timer.builder("streamchat.chunk.interval").tag("provider", name)
          .description("Time between consecutive chunks of one generation")
          .serviceLevelObjectives(INTERVAL_BUCKETS).register(registry);
      chunks = Counter.builder("streamchat.chunks").tag("provider", name)
          .description("Chunks received from models").register(registry);
      completionTokens = tokens(name, "completion");
      promptTokens = tokens(name, "prompt");
      startFailures = failures(name, "start");
      modelFailures = failures(name, "model");
    }

    private Counter tokens(String provider, String type) {
      return Counter.builder("streamchat.tokens").tag("provider", provider).tag("type", type)
          .description("Tokens as the models report them").register(registry);
    }

    /** {@code start}: the provider threw when asked; {@code model}: the model reported an error. */
    private Counter failures(String provider, String kind) {
      return Counter.builder("streamchat.generation.failures").tag("provider", provider).tag("kind", kind)
          .description("Generations that failed, by kind").register(registry);
    }

    @Override
    public String name() {
      return provider.name();
    }

    @Override
    public Future<List<dev.streamchat.model.ModelInfo>> models() {
      return provider.models();
    }

    @Override
    public StreamHandle stream(ModelRequest request, StreamListener listener) {
      try {
        return provider.stream(request, new Listener(listener));
      } catch (RuntimeException e) {
        startFailures.increment();
        throw e;
      }
    }

    /** Times every chunk against the one before it (the first against the request). */
    private final class Listener implements StreamListener {
      private final StreamListener target;
      private final long askedAt = System.nanoTime();
      private final AtomicLong lastChunkAt = new AtomicLong();

      Listener(StreamListener target) {
        this.target = target;
      }

      private void chunk() {
        long now = System.nanoTime();
        long previous = lastChunkAt.getAndSet(now);
        if (previous == 0) ttft.record(now - askedAt, TimeUnit.NANOSECONDS);
        else interval.record(now - previous, TimeUnit.NANOSECONDS);
        chunks.increment();
      }

      @Override
      public void onText(String text) {
        chunk();
        target.onText(text);
      }

      @Override
      public void onReasoning(String text) {
        chunk();
        target.onReasoning(text);
      }

      @Override
      public void onComplete(FinishReason reason, Usage usage) {
        if (usage.promptTokens() > 0) promptTokens.increment(usage.promptTokens());
        if (usage.completionTokens() > 0) completionTokens.increment(usage.completionTokens());
        target.onComplete(reason, usage);
      }

      @Override
      public void onFailure(Failure failure) {
        modelFailures.increment();
        target.onFailure(failure);
      }
    }
  }
}
