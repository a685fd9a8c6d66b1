package dev.streamchat.stream;

/** Event-bus addresses, each defined once. */
public final class Addresses {

  /** Request/reply: start a generation (body: a {@link GenerationRequest}; reply: its id). */
  public static final String START = "generation.start";

  private Addresses() {
  }

  /** Request/reply: stop one generation; only the instance running it listens here. */
  public static String stop(String generationId) {
    return "generation.stop." + generationId;
  }

  /** Publish: {@link LiveEvent}s (chunk batches and the end) of one generation, for its feeds. */
  public static String events(String generationId) {
    return "generation.events." + generationId;
  }
}
