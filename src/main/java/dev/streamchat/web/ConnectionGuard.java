package dev.streamchat.web;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps slow, idle and too many connections from taking the server's descriptors, for one web
 * verticle instance (everything here runs on its event loop):
 * <ul>
 *   <li>a new connection must complete its request's headers within the header timeout, and a
 *       kept-alive one its next request's within the keep-alive timeout (one byte a second does
 *       not keep a connection);</li>
 *   <li>a request body must have arrived within the body timeout (else {@code 408});</li>
 *   <li>a response being written (an event stream for an hour) is never timed out here;</li>
 *   <li>at most this instance's share of {@code STREAMCHAT_MAX_CONNECTIONS} are open: beyond it
 *       the connection that has waited longest without a request in progress (older than
 *       {@value #EVICTABLE_AFTER_MS} ms) is closed to make room, so an honest request, which
 *       sends its headers at once, still gets in; when there is none, the new one is closed as
 *       it is accepted.</li>
 * </ul>
 * Deadlines are checked every {@value #SWEEP_MS} ms.
 */
final class ConnectionGuard {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
  static final long SWEEP_MS = 250;
  static final long EVICTABLE_AFTER_MS = 1_000;
  private static final long LOG_EVERY_MS = 10_000;

  /** One open connection: waiting for a request since some time, or serving one. */
  private static final class Tracked {
    final HttpConnection connection;
    long waitingSince;
    boolean served;
    HttpServerRequest current;
    long requestAt;

    Tracked(HttpConnection connection, long now) {
      this.connection = connection;
      this.waitingSince = now;
    }
  }

  private final int maxConnections;
  private final long headerTimeoutMs;
  private final long bodyTimeoutMs;
  private final long keepAliveTimeoutMs;
  private final Map<HttpConnection, Tracked> open = new HashMap<>();
  /** Connections with no request in progress, longest waiting first. */
  private final LinkedHashMap<HttpConnection, Tracked> waiting = new LinkedHashMap<>();
  private long refused;
  private long evicted;
  private long timedOut;
  private long loggedAt;

  ConnectionGuard(int maxConnections, long headerTimeoutMs, long bodyTimeoutMs, long keepAliveTimeoutMs) {
    this.maxConnections = maxConnections;
    this.headerTimeoutMs = headerTimeoutMs;
    this.bodyTimeoutMs = bodyTimeoutMs;
    this.keepAliveTimeoutMs = keepAliveTimeoutMs;
  }

  /** Starts checking deadlines on the calling verticle's context. */
  long start(Vertx vertx) {
    return vertx.setPeriodic(SWEEP_MS, id -> sweep());
  }

  void connected(HttpConnection connection) {
    long now = System.currentTimeMillis();
    if (open.size() >= maxConnections && !evictOldestWaiting(now)) {
      refused++;
      report(now);
      connection.close();
      return;
    }
    Tracked t = new Tracked(connection, now);
    open.put(connection, t);
    waiting.put(connection, t);
    connection.closeHandler(v -> {
      open.remove(connection);
      waiting.remove(connection);
    });
  }

  /** The request handler, noting when each request's headers have arrived. */
  Handler<HttpServerRequest> wrap(Handler<HttpServerRequest> handler) {
    return request -> {
      Tracked t = open.get(request.connection());
      if (t != null) {
        waiting.remove(t.connection);
        t.current = request;
        t.requestAt = System.currentTimeMillis();
        t.served = true;
      }
      handler.handle(request);
    };
  }

  private boolean evictOldestWaiting(long now) {
    Iterator<Tracked> oldest = waiting.values().iterator();
    if (!oldest.hasNext()) return false;
    Tracked t = oldest.next();
    if (now - t.waitingSince < EVICTABLE_AFTER_MS) return false;
    oldest.remove();
    open.remove(t.connection);
    evicted++;
    t.connection.close();
    return true;
  }

  private void sweep() {
    long now = System.currentTimeMillis();
    List<Tracked> expired = new ArrayList<>();
    for (Tracked t : open.values()) {
      if (t.current == null) {
        long limit = t.served ? keepAliveTimeoutMs : headerTimeoutMs;
        if (now - t.waitingSince > limit) expired.add(t);
        continue;
      }
      HttpServerResponse response = t.current.response();
      if (response.ended()) {
        t.current = null;
        t.waitingSince = now;
        waiting.put(t.connection, t);
      } else if (!t.current.isEnded() && now - t.requestAt > bodyTimeoutMs) {
        if (!response.headWritten()) {
          response.setStatusCode(408).putHeader("Connection", "close").end("request body too slow\n");
        }
        expired.add(t);
      }
    }
    for (Tracked t : expired) {
      open.remove(t.connection);
      waiting.remove(t.connection);
      timedOut++;
      t.connection.close();
    }
    if (!expired.isEmpty()) report(now);
  }

  /** One line now and then, not one per connection: a flood must not flood the log too. */
  private void report(long now) {
    if (now - loggedAt < LOG_EVERY_MS) return;
    loggedAt = now;
    LOG.warn("connections: {} open (cap {} per event loop); so far {} refused at the cap, {} idle ones closed "
        + "to make room, {} closed for slow or idle requests", open.size(), maxConnections, refused, evicted, timedOut);
  }
}
