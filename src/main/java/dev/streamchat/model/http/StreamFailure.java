package dev.streamchat.model.http;

/** Why a model's stream failed, in a short message fit to show a person. */
public final class StreamFailure extends RuntimeException {

  public StreamFailure(String message) {
    super(message, null, false, false);
  }

  public static StreamFailure malformed() {
    return new StreamFailure("The model server sent a malformed chunk.");
  }
}
