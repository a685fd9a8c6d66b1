package dev.streamchat.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import io.vertx.micrometer.impl.MicrometerMetrics;

/**
 * Vert.x's Micrometer metrics, made safe for connections accepted before an HTTP server's metrics
 * existed. Vert.x 5.0.10 binds the port before it creates the server's metrics (and an instance
 * sharing the port copies them when it joins), so a connection accepted in between has no socket
 * metric; its first request then threw a NullPointerException in
 * {@code VertxHttpServerMetrics.requestBegin} and was never answered. Here such a connection is
 * simply not measured; everything else passes through unchanged.
 */
final class NullSafeMetrics implements VertxMetrics, MicrometerMetrics {

  private final VertxMetrics delegate;

  NullSafeMetrics(VertxMetrics delegate) {
    this.delegate = delegate;
  }

  @Override
  public MeterRegistry registry() {
    return ((MicrometerMetrics) delegate).registry();
  }

  @Override
  public String baseName() {
    return ((MicrometerMetrics) delegate).baseName();
  }

  @Override
  public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress localAddress) {
    HttpServerMetrics<?, ?, ?> metrics = delegate.createHttpServerMetrics(options, localAddress);
    return metrics == null ? null : new Server<>(metrics);
  }

  @Override
  public EventBusMetrics createEventBusMetrics() {
    return delegate.createEventBusMetrics();
  }

  @Override
  public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remoteAddress, String type, String namespace) {
    return delegate.createClientMetrics(remoteAddress, type, namespace);
  }

  @Override
  public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
    return delegate.createHttpClientMetrics(options);
  }

  @Override
  public TCPMetrics<?> createNetServerMetrics(NetServerOptions options, SocketAddress localAddress) {
    return delegate.createNetServerMetrics(options, localAddress);
  }

  @Override
  public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
    return delegate.createNetClientMetrics(options);
  }

  @Override
  public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
    return delegate.createDatagramSocketMetrics(options);
  }

  @Override
  public PoolMetrics<?, ?> createPoolMetrics(String type, String name, int maxSize) {
    return delegate.createPoolMetrics(type, name, maxSize);
  }

  @Override
  public void vertxCreated(Vertx vertx) {
    delegate.vertxCreated(vertx);
  }

  @Override
  public boolean isMetricsEnabled() {
    return delegate.isMetricsEnabled();
  }

  @Override
  public void close() {
    delegate.close();
  }

  /** An HTTP server's metrics that skip a connection without a socket metric and its requests. */
  private static final class Server<R, W, S> implements HttpServerMetrics<R, W, S> {
    private final HttpServerMetrics<R, W, S> delegate;

    @SuppressWarnings("unchecked")
    Server(HttpServerMetrics<?, ?, ?> delegate) {
      this.delegate = (HttpServerMetrics<R, W, S>) delegate;
    }

    @Override
    public R requestBegin(S socketMetric, HttpRequest request) {
      return socketMetric == null ? null : delegate.requestBegin(socketMetric, request);
    }

    @Override
    public void requestEnd(R requestMetric, HttpRequest request, long bytesRead) {
      if (requestMetric != null) delegate.requestEnd(requestMetric, request, bytesRead);
    }

    @Override
    public void requestReset(R requestMetric) {
      if (requestMetric != null) delegate.requestReset(requestMetric);
    }

    @Override
    public void responseBegin(R requestMetric, HttpResponse response) {
      if (requestMetric != null) delegate.responseBegin(requestMetric, response);
    }

    @Override
    public R responsePushed(S socketMetric, HttpMethod method, String uri, HttpResponse response) {
      return socketMetric == null ? null : delegate.responsePushed(socketMetric, method, uri, response);
    }

    @Override
    public void responseEnd(R requestMetric, HttpResponse response, long bytesWritten) {
      if (requestMetric != null) delegate.responseEnd(requestMetric, response, bytesWritten);
    }

    @Override
    public W connected(S socketMetric, R requestMetric, ServerWebSocket serverWebSocket) {
      return socketMetric == null || requestMetric == null ? null
          : delegate.connected(socketMetric, requestMetric, serverWebSocket);
    }

    @Override
    public void disconnected(W serverWebSocketMetric) {
      if (serverWebSocketMetric != null) delegate.disconnected(serverWebSocketMetric);
    }

    @Override
    public void requestRouted(R requestMetric, String route) {
      if (requestMetric != null) delegate.requestRouted(requestMetric, route);
    }

    @Override
    public S connected(SocketAddress remoteAddress, String remoteName) {
      return delegate.connected(remoteAddress, remoteName);
    }

    @Override
    public void disconnected(S socketMetric, SocketAddress remoteAddress) {
      if (socketMetric != null) delegate.disconnected(socketMetric, remoteAddress);
    }

    @Override
    public void bytesRead(S socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
      if (socketMetric != null) delegate.bytesRead(socketMetric, remoteAddress, numberOfBytes);
    }

    @Override
    public void bytesWritten(S socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
      if (socketMetric != null) delegate.bytesWritten(socketMetric, remoteAddress, numberOfBytes);
    }

    @Override
    public void exceptionOccurred(S socketMetric, SocketAddress remoteAddress, Throwable t) {
      if (socketMetric != null) delegate.exceptionOccurred(socketMetric, remoteAddress, t);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
