package dev.streamchat.chat;

/** A request the server refuses, with the HTTP status and a message fit to show a person. */
public final class Problem extends RuntimeException {

  private final int status;

  public Problem(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }

  public static Problem badRequest(String message) {
    return new Problem(400, message);
  }

  public static Problem notFound(String what) {
    return new Problem(404, what + " not found");
  }
}
