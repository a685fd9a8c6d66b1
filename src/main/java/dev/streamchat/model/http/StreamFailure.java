package dev.streamchat.model.http;

/** Why a model's stream failed, in a short message fit to show a person. */
public final class StreamFailure extends RuntimeException {

  public StreamFailure(String message) {
    super(message, null, false, false);
  }

  public static StreamFailure malformed() {
    return new StreamFailure("The model server sent a malformed chunk.");
  }

  /** One chunk of a stream as a JSON object; anything else is a malformed chunk. */
  public static io.vertx.core.json.JsonObject parseObject(String text) {
    try {
      return new io.vertx.core.json.JsonObject(text);
    } catch (RuntimeException e) {
      throw malformed();
    }
  }
}
