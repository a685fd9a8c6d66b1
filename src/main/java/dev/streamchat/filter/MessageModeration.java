package dev.streamchat.filter;

import dev.streamchat.chat.MessageCheck;
import dev.streamchat.chat.Problem;
import io.vertx.core.Future;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A person's message judged by the moderation endpoint before any model is asked: flagged is a
 * 422 naming the categories; an endpoint that fails refuses the message too (503), fail closed.
 */
public final class MessageModeration implements MessageCheck {

  private static final Logger LOG = LoggerFactory.getLogger(MessageModeration.class);

  static final String REFUSED = "The message was stopped by the content filter (%s).";
  static final String UNAVAILABLE = "The content filter could not be reached, so the message was not sent; try again later.";

  private final ModerationClient client;
  private final FilterMetrics metrics;

  public MessageModeration(ModerationClient client, FilterMetrics metrics) {
    this.client = client;
    this.metrics = metrics;
  }

  @Override
  public Future<Void> check(String text) {
    return client.judge(List.of(text)).transform(ar -> {
      if (ar.failed()) {
        metrics.blocked("unavailable");
        return Future.failedFuture(new Problem(503, UNAVAILABLE));
      }
      List<String> categories = ar.result().get(0);
      if (categories.isEmpty()) return Future.succeededFuture();
      metrics.blocked("message");
      LOG.info("a message was refused by the content filter ({})", String.join(", ", categories));
      return Future.failedFuture(new Problem(422, String.format(REFUSED, String.join(", ", categories))));
    });
  }
}
