package dev.streamchat.model.http;

import dev.streamchat.model.Failure;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamHandle;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import io.netty.channel.EventLoop;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.TrustOptions;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side every remote provider shares: a streamed POST whose body goes to a
 * {@link StreamParser} buffer by buffer as it arrives (never buffered whole), with connect,
 * first-token and idle timeouts; and a small JSON GET for model lists. Cancelling a stream
 * resets its request, which closes the connection, so the model server stops generating.
 */
public final class HttpStreamClient {

  private static final Logger LOG = LoggerFactory.getLogger(HttpStreamClient.class);

  private static final int MAX_LIST_BYTES = 8 * 1024 * 1024;
  private static final int MAX_STREAMS_PER_SERVER = 100_000;
  /** HTTP/2 connections per server; each carries as many answers as the server allows at once. */
  private static final int HTTP2_CONNECTIONS_PER_SERVER = 64;

  /** Whether answers from model servers share HTTP/2 connections. */
  public enum Http2 {
    /** HTTP/1.1 only: one connection per running answer. */
    OFF,
    /** HTTP/2 where a TLS server offers it (ALPN), as the hosted APIs do; plain HTTP stays 1.1. */
    ALPN,
    /** Also plain HTTP speaks HTTP/2 from the first byte (h2c): for a local server known to. */
    PRIOR_KNOWLEDGE
  }

  private final Vertx vertx;
  private final Timeouts timeouts;
  private final Http2 http2;
  private final TrustOptions trust;
  /** The clients of each event loop: see {@link #clientFor}. */
  private final Map<EventLoop, Clients> byLoop = new ConcurrentHashMap<>();

  /** One event loop's clients: for {@code https:} servers and for plain HTTP (the same one unless h2c). */
  private record Clients(HttpClient tls, HttpClient plain) {
  }

  public HttpStreamClient(Vertx vertx, Timeouts timeouts) {
    this(vertx, timeouts, Http2.OFF, List.of());
  }

  /** {@code extraAuthorities}: CA certificates trusted for model servers besides the JVM's. */
  public HttpStreamClient(Vertx vertx, Timeouts timeouts, Http2 http2, List<X509Certificate> extraAuthorities) {
    this.vertx = vertx;
    this.timeouts = timeouts;
    this.http2 = http2;
    this.trust = extraAuthorities.isEmpty() ? null : TrustOptions.wrap(UpstreamTrust.withExtra(extraAuthorities));
  }

  private Clients newClients() {
    HttpClient plain = client(vertx, timeouts, http2 == Http2.PRIOR_KNOWLEDGE, trust);
    return new Clients(http2 == Http2.ALPN ? client(vertx, timeouts, true, trust) : plain, plain);
  }

  /**
   * Over HTTP/1.1 every streaming answer holds its own connection for its whole length, so the
   * pool must be as large as the number of answers running at once; a small pool queues answers
   * until their first-token timeout fails them (bench: 64 failed 402 of 1,000 concurrent
   * generations). Over HTTP/2 answers share a few connections.
   */
  private static HttpClient client(Vertx vertx, Timeouts timeouts, boolean http2, TrustOptions trust) {
    HttpClientOptions options = new HttpClientOptions().setConnectTimeout(timeouts.connectMs()).setKeepAlive(true);
    if (trust != null) options.setTrustOptions(trust);
    if (http2) options.setProtocolVersion(HttpVersion.HTTP_2).setUseAlpn(true).setHttp2ClearTextUpgrade(false);
    return vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(MAX_STREAMS_PER_SERVER)
        .setHttp2MaxSize(HTTP2_CONNECTIONS_PER_SERVER));
  }

  /**
   * The client for {@code url} of the calling event loop. A pooled connection lives on the loop
   * that opened it, and Vert.x hands a response's bytes to the requesting context; were the pool
   * shared, a reused connection would read each token on one loop and parse it on another, one
   * more hand-off between threads per token. Each loop's own pool keeps a stream on one loop.
   */
  private HttpClient clientFor(String url) {
    EventLoop loop = ((ContextInternal) vertx.getOrCreateContext()).nettyEventLoop();
    Clients clients = byLoop.computeIfAbsent(loop, l -> newClients());
    return url.regionMatches(true, 0, "https:", 0, 6) ? clients.tls() : clients.plain();
  }

  /** GETs a JSON object; fails with a human message (status or connection), never a body. */
  public Future<JsonObject> getJson(String url, Map<String, String> headers) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
        .setConnectTimeout(timeouts.connectMs()).setIdleTimeout(timeouts.firstTokenMs());
    headers.forEach(options::putHeader);
    return clientFor(url).request(options)
        .compose(HttpClientRequest::send)
        .recover(err -> Future.failedFuture(new StreamFailure(UpstreamErrors.forConnection(err, hostOf(url)))))
        .compose(resp -> {
          if (resp.statusCode() != 200) {
            resp.request().reset();
            return Future.failedFuture(new StreamFailure(
                UpstreamErrors.forStatus(resp.statusCode(), resp.getHeader("Retry-After"), "")));
          }
          String length = resp.getHeader("Content-Length");
          if (length != null && length.length() > 9) return Future.failedFuture(StreamFailure.malformed());
          return resp.body().map(body -> {
            if (body.length() > MAX_LIST_BYTES) throw StreamFailure.malformed();
            try {
              return body.toJsonObject();
            } catch (RuntimeException e) {
              throw StreamFailure.malformed();
            }
          });
        });
  }

  /**
   * POSTs {@code body} and streams the answer into {@code parser}, which calls {@code listener}.
   * Ends with exactly one of onComplete/onFailure unless the returned handle cancels it first. An
   * exception thrown by {@code listener} ends the stream as an internal failure, never as a
   * malformed chunk: it is this server's fault, not the model's.
   * {@code model} names the model in a 404 message.
   */
  public StreamHandle stream(String url, Map<String, String> headers, JsonObject body, String model,
      Function<StreamListener, StreamParser> parserFactory, StreamListener listener) {
    Call call = new Call(url, model, listener);
    call.parser = parserFactory.apply(call.progress);
    call.start(headers, body);
    return new StreamHandle() {
      @Override
      public void cancel() {
        call.cancel();
      }

      @Override
      public void pause() {
        call.pause(true);
      }

      @Override
      public void resume() {
        call.pause(false);
      }
    };
  }

  static String hostOf(String url) {
    try {
      URI u = URI.create(url);
      int port = u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
      return u.getHost() + ":" + port;
    } catch (IllegalArgumentException e) {
      return "the configured address";
    }
  }

  /** One streamed request: its timers, its connection, and the one end it may have. */
  private final class Call {
    private final String url;
    private final String model;
    private final StreamListener listener;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile HttpClientRequest request;
    private volatile boolean sawToken;
    private StreamParser parser;
    private volatile HttpClientResponse response;
    private volatile boolean paused;
    private long firstTokenTimer = -1;
    private long idleTimer = -1;
    /** When the last bytes came (nanoTime): the idle timer looks at it instead of being re-armed per chunk. */
    private volatile long lastBytesAt;

    /**
     * The listener the parser calls: passes text on and notes that tokens flow. What the listener
     * throws is wrapped so that it is never taken for a fault of the stream.
     */
    final StreamListener progress = new StreamListener() {
      @Override
      public void onText(String text) {
        if (ended.get()) return;
        tokenArrived();
        try {
          listener.onText(text);
        } catch (RuntimeException e) {
          throw new ListenerFault(e);
        }
      }

      @Override
      public void onReasoning(String text) {
        if (ended.get()) return;
        tokenArrived();
        try {
          listener.onReasoning(text);
        } catch (RuntimeException e) {
          throw new ListenerFault(e);
        }
      }

      @Override
      public void onComplete(FinishReason reason, Usage usage) {
        succeed();
      }

      @Override
      public void onFailure(Failure failure) {
        fail(failure);
      }
    };

    Call(String url, String model, StreamListener listener) {
      this.url = url;
      this.model = model;
      this.listener = listener;
    }

    void start(Map<String, String> headers, JsonObject body) {
      firstTokenTimer = vertx.setTimer(timeouts.firstTokenMs(), id -> fail(Failure.of(Failure.Kind.TIMEOUT,
          "The model did not start answering within " + seconds(timeouts.firstTokenMs()) + ".")));
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url)
          .setConnectTimeout(timeouts.connectMs())
          .putHeader("Content-Type", "application/json").putHeader("Accept", "text/event-stream, application/x-ndjson, application/json");
      headers.forEach(options::putHeader);
      clientFor(url).request(options).onComplete(ar -> {
        if (ar.failed()) {
          fail(UpstreamErrors.forConnection(ar.cause(), hostOf(url)));
          return;
        }
        request = ar.result();
        if (ended.get()) {
          request.reset();
          return;
        }
        request.send(body.toBuffer()).onComplete(sent -> {
          if (sent.failed()) fail(UpstreamErrors.forConnection(sent.cause(), hostOf(url)));
          else receive(sent.result());
        });
      });
    }

    private void receive(HttpClientResponse resp) {
      if (ended.get()) {
        request.reset();
        return;
      }
      if (resp.statusCode() / 100 != 2) {
        fail(UpstreamErrors.forStatus(resp.statusCode(), resp.getHeader("Retry-After"), model));
        return;
      }
      response = resp;
      if (paused) resp.pause();
      resp.handler(bytes -> {
        if (ended.get()) return;
        lastBytesAt = System.nanoTime();
        if (parse(() -> parser.feed(bytes)) && parser.complete()) succeed();
      });
      resp.exceptionHandler(err -> fail(cut()));
      resp.endHandler(v -> {
        if (ended.get()) return;
        if (!parse(parser::finish)) return;
        if (parser.complete()) succeed();
        else fail(cut());
      });
    }

    /** Runs a step of the parser; false when it ended the stream (a failure of the stream or of the listener). */
    private boolean parse(Runnable step) {
      try {
        step.run();
        return true;
      } catch (ListenerFault f) {
        LOG.error("stream of model {}: its listener failed", model, f.getCause());
        fail(Failure.of(Failure.Kind.INTERNAL, "The server could not handle the answer."));
      } catch (StreamFailure f) {
        fail(f.failure());
      } catch (RuntimeException malformed) {
        fail(StreamFailure.malformed().failure());
      }
      return false;
    }

    private Failure cut() {
      return Failure.of(Failure.Kind.MODEL, sawToken
          ? "The model server closed the stream before the answer was complete."
          : "The model server closed the stream without an answer.");
    }

    private void tokenArrived() {
      if (!sawToken) {
        sawToken = true;
        vertx.cancelTimer(firstTokenTimer);
        lastBytesAt = System.nanoTime();
        armIdle(timeouts.idleMs());
      }
    }

    /**
     * Fails the stream once no bytes came for the idle timeout. One timer at a time, which on
     * firing re-arms itself for what is left of the timeout since the last bytes, instead of a
     * timer cancelled and set again for every chunk.
     */
    private void armIdle(long delayMs) {
      if (idleTimer >= 0) vertx.cancelTimer(idleTimer);
      idleTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
        if (ended.get() || paused) return;
        long silentMs = (System.nanoTime() - lastBytesAt) / 1_000_000;
        if (silentMs < timeouts.idleMs()) {
          armIdle(timeouts.idleMs() - silentMs);
        } else {
          fail(Failure.of(Failure.Kind.TIMEOUT,
              "The model went silent for " + seconds(timeouts.idleMs()) + " in the middle of its answer."));
        }
      });
    }

    private boolean end() {
      if (!ended.compareAndSet(false, true)) return false;
      vertx.cancelTimer(firstTokenTimer);
      if (idleTimer >= 0) vertx.cancelTimer(idleTimer);
      return true;
    }

    void succeed() {
      if (end()) listener.onComplete(parser.finishReason(), parser.usage());
    }

    void fail(Failure failure) {
      if (!end()) return;
      closeUpstream();
      listener.onFailure(failure);
    }

    void cancel() {
      if (end()) closeUpstream();
    }

    /**
     * Stops or restarts reading the response (TCP then slows the model server down). While paused
     * the idle timer is held: the silence is ours, not the model's.
     */
    void pause(boolean pause) {
      paused = pause;
      HttpClientResponse r = response;
      if (r == null || ended.get()) return;
      if (pause) {
        r.pause();
        if (idleTimer >= 0) vertx.cancelTimer(idleTimer);
      } else {
        r.resume();
        if (sawToken) {
          lastBytesAt = System.nanoTime(); // the silence while paused was ours
          armIdle(timeouts.idleMs());
        }
      }
    }

    /** Resetting a request that is still open closes its HTTP/1.x connection, or its HTTP/2 stream. */
    private void closeUpstream() {
      HttpClientRequest r = request;
      if (r != null) r.reset();
    }
  }

  /** What the listener threw, carried through the parser so it is not taken for a malformed chunk. */
  private static final class ListenerFault extends RuntimeException {
    ListenerFault(RuntimeException cause) {
      super(cause);
    }
  }

  private static String seconds(int ms) {
    return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
  }
}
