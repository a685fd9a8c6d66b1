package dev.streamchat.filter;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible moderation endpoint ({@code POST .../v1/moderations}, {@code {"input": [...]}}
 * answered by one result per input with {@code flagged} and {@code categories}), called without
 * blocking. Anything but a well-formed answer (refused connection, an error status, a timeout, a
 * body that is not the protocol) fails the call: the callers fail closed.
 */
public final class ModerationClient {

  private static final Logger LOG = LoggerFactory.getLogger(ModerationClient.class);

  /** The endpoint did not judge: the text must not be released. */
  public static final class Unavailable extends RuntimeException {
    Unavailable(String why) {
      super(why, null, false, false);
    }
  }

  private final WebClient client;
  private final String url;
  private final String apiKey;
  private final int timeoutMs;
  private final FilterMetrics metrics;

  public ModerationClient(Vertx vertx, String url, String apiKey, int timeoutMs, FilterMetrics metrics) {
    this.client = WebClient.create(vertx, new WebClientOptions().setConnectTimeout(timeoutMs).setUserAgent("streamchat"));
    this.url = url;
    this.apiKey = apiKey;
    this.timeoutMs = timeoutMs;
    this.metrics = metrics;
  }

  /** For each input, the categories it was flagged for (empty: not flagged). */
  public Future<List<List<String>>> judge(List<String> inputs) {
    long start = System.nanoTime();
    var request = client.postAbs(url).timeout(timeoutMs);
    if (apiKey != null && !apiKey.isBlank()) request.putHeader("Authorization", "Bearer " + apiKey.strip());
    return request.sendJsonObject(new JsonObject().put("input", new JsonArray(new ArrayList<>(inputs))))
        .recover(e -> Future.failedFuture(new Unavailable(e.getClass().getSimpleName() + ": " + e.getMessage())))
        .map(response -> verdicts(response, inputs.size()))
        .andThen(ar -> {
          String outcome = ar.failed() ? "error" : ar.result().stream().anyMatch(c -> !c.isEmpty()) ? "flagged" : "ok";
          metrics.moderation(System.nanoTime() - start, outcome);
          if (ar.failed()) LOG.warn("moderation endpoint failed: {}", ar.cause().getMessage());
        });
  }

  private static List<List<String>> verdicts(HttpResponse<?> response, int expected) {
    if (response.statusCode() / 100 != 2) throw new Unavailable("status " + response.statusCode());
    JsonArray results;
    try {
      results = response.bodyAsJsonObject().getJsonArray("results");
    } catch (RuntimeException e) {
      throw new Unavailable("an answer that is not a moderation result");
    }
    if (results == null || results.size() != expected) throw new Unavailable("a result count that does not match the inputs");
    List<List<String>> out = new ArrayList<>(expected);
    for (Object o : results) {
      if (!(o instanceof JsonObject r) || !(r.getValue("flagged") instanceof Boolean flagged)) {
        throw new Unavailable("a result without flagged");
      }
      List<String> categories = new ArrayList<>();
      if (flagged) {
        if (r.getValue("categories") instanceof JsonObject c) {
          for (Map.Entry<String, Object> e : c) if (Boolean.TRUE.equals(e.getValue())) categories.add(e.getKey());
        }
        if (categories.isEmpty()) categories.add("flagged");
      }
      out.add(categories);
    }
    return out;
  }
}
