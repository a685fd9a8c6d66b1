package dev.streamchat.stream;

/** Event-bus addresses, each defined once. */
public final class Addresses {

  /**
   * Request/reply: start a generation (body: a {@link GenerationRequest}; reply: its id). Header
   * {@link #START_NEAR_LOOP}: the position of the event loop the request was made on, if any.
   */
  public static final String START = "generation.start";

  /** Header of {@link #START}: where the starting request was served, among the event loops. */
  static final String START_NEAR_LOOP = "near-loop";

  /**
   * Publish: live events of other instances may have been lost (their fan-out was cut off and
   * is back); every feed catches its sinks up from the store.
   */
  public static final String RESYNC = "generation.resync";

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
