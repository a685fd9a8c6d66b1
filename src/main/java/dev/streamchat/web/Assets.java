package dev.streamchat.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.MimeMapping;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * The scripts, styles and icon the pages link to, read and gzipped once at start and served from
 * memory: each has a URL that names its content ({@code ?v=} a hash of its bytes, or a webjar's
 * version in its path), which a browser may keep for a year, and goes out gzipped to a client
 * that accepts it. (Vert.x sends a file from disk as is, never compressed.)
 */
public final class Assets {

  /** Every file under webroot that a page links to. */
  static final List<String> WEBROOT = List.of("app.css", "app.js", "live.js", "render.js", "markdown.css",
      "json-view.js", "json-view.css", "admin.css", "admin.js", "auth.css", "favicon.svg");
  /** The webjar files the pages load, by their URL path (under META-INF/resources). */
  static final List<String> WEBJARS = List.of("/webjars/htmx.org/2.0.10/dist/htmx.min.js",
      "/webjars/htmx-ext-sse/2.2.2/sse.js", "/webjars/katex/0.16.47/dist/katex.min.js",
      "/webjars/katex/0.16.47/dist/katex.min.css", "/webjars/highlightjs/11.10.0/highlight.min.js",
      "/webjars/highlightjs/11.10.0/styles/github.min.css", "/webjars/highlightjs/11.10.0/styles/github-dark.min.css");
  private static final long YEAR_SECONDS = 365L * 24 * 3600;

  /** One file: its type, its bytes plain and gzipped, and the hash that names its content. */
  private record File(String contentType, Buffer plain, Buffer gzipped, String hash) {
  }

  private final Map<String, File> byPath;
  private final Map<String, String> urls;

  private Assets(Map<String, File> byPath, Map<String, String> urls) {
    this.byPath = byPath;
    this.urls = urls;
  }

  /** Reads, hashes and compresses the files: blocking, so done once at start off the event loop. */
  static Assets load() {
    Map<String, File> byPath = new HashMap<>();
    Map<String, String> urls = new HashMap<>();
    for (String name : WEBROOT) {
      File f = read("webroot/" + name);
      byPath.put("/static/" + name, f);
      urls.put(name, "/static/" + name + "?v=" + f.hash());
    }
    for (String path : WEBJARS) byPath.put(path, read("META-INF/resources" + path));
    return new Assets(byPath, urls);
  }

  private static File read(String resource) {
    try (InputStream in = Assets.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException(resource + " is missing from the build");
      byte[] bytes = in.readAllBytes();
      ByteArrayOutputStream gz = new ByteArrayOutputStream();
      try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
        out.write(bytes);
      }
      String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 6);
      String type = MimeMapping.mimeTypeForFilename(resource);
      if (type == null) type = "application/octet-stream";
      if (type.startsWith("text/") || type.endsWith("javascript") || type.endsWith("+xml")) type += "; charset=utf-8";
      return new File(type, Buffer.buffer(bytes), Buffer.buffer(gz.toByteArray()), hash);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The fingerprinted URL of a webroot file; a file not listed in {@link #WEBROOT} is a mistake. */
  public String url(String name) {
    String url = urls.get(name);
    if (url == null) throw new IllegalArgumentException("not a known webroot file: " + name);
    return url;
  }

  /**
   * Serves a known file: gzipped when the client accepts it, kept a year when its URL names its
   * content, else checked again each time (ETag); any other path goes on to the next handler.
   */
  void serve(RoutingContext ctx) {
    File f = byPath.get(ctx.request().path());
    if (f == null) {
      ctx.next();
      return;
    }
    HttpServerResponse response = ctx.response();
    String etag = "\"" + f.hash() + "\"";
    boolean named = f.hash().equals(ctx.request().getParam("v")) || ctx.request().path().startsWith("/webjars/");
    response.putHeader(HttpHeaders.CACHE_CONTROL, named ? "public, max-age=" + YEAR_SECONDS + ", immutable" : "no-cache")
        .putHeader(HttpHeaders.ETAG, etag)
        .putHeader(HttpHeaders.VARY, HttpHeaders.ACCEPT_ENCODING);
    if (etag.equals(ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH))) {
      response.setStatusCode(304).end();
      return;
    }
    response.putHeader(HttpHeaders.CONTENT_TYPE, f.contentType());
    String accepts = ctx.request().getHeader(HttpHeaders.ACCEPT_ENCODING);
    if (accepts != null && accepts.toLowerCase(java.util.Locale.ROOT).contains("gzip")) {
      // Already gzipped: the header also keeps the server's own compressor off it.
      response.putHeader(HttpHeaders.CONTENT_ENCODING, "gzip").end(f.gzipped());
    } else {
      response.end(f.plain());
    }
  }
}
