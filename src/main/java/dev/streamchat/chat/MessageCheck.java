package dev.streamchat.chat;

import io.vertx.core.Future;

/**
 * A check of what a person wrote, made before any model is asked (a moderation endpoint): the
 * future fails with a {@link Problem} (422 for a message refused) when the message must not be sent.
 */
@FunctionalInterface
public interface MessageCheck {

  MessageCheck NONE = text -> Future.succeededFuture();

  Future<Void> check(String text);
}
