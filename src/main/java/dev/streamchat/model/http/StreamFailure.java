package dev.streamchat.model.http;

import dev.streamchat.model.Failure;
import io.vertx.core.json.JsonObject;

/** A model's stream failed: thrown by parsers, carried to the listener as its {@link Failure}. */
public final class StreamFailure extends RuntimeException {

  private final Failure failure;

  public StreamFailure(Failure failure) {
    super(failure.message(), null, false, false);
    this.failure = failure;
  }

  public Failure failure() {
    return failure;
  }

  public static StreamFailure malformed() {
    return new StreamFailure(Failure.of(Failure.Kind.MALFORMED, "The model server sent a malformed chunk."));
  }

  /** One chunk of a stream as a JSON object; anything else is a malformed chunk. */
  public static JsonObject parseObject(String text) {
    try {
      return new JsonObject(text);
    } catch (RuntimeException e) {
      throw malformed();
    }
  }
}
