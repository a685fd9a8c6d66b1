package dev.streamchat.model;

import io.vertx.core.Future;
import java.util.List;

/**
 * The one port every model speaks through: list what it offers, stream an answer, cancel.
 * A provider calls its listener from whatever thread it runs on; the listener is thread-safe.
 */
public interface ModelProvider {

  /** Short provider name, e.g. {@code demo}, {@code openai}. */
  String name();

  /** The models this provider serves now. */
  Future<List<ModelInfo>> models();

  /**
   * Starts streaming an answer. Exactly one of {@link StreamListener#onComplete} or
   * {@link StreamListener#onFailure} is called at the end, unless the handle is cancelled.
   */
  StreamHandle stream(ModelRequest request, StreamListener listener);
}
