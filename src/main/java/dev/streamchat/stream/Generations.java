package dev.streamchat.stream;

import io.vertx.core.Future;
import java.util.Collection;
import java.util.List;

/**
 * What the rest of the application asks of generations: start one, stop one, look at one. Where
 * they run (the worker, over the event bus) and where they are kept (the stream store) stay
 * behind this port. Lookups of an unknown id fail with {@link StreamStore.NotFound}.
 */
public interface Generations {

  /** Starts a generation; its future holds the id, or fails with {@link Refused}. */
  Future<String> start(GenerationRequest request);

  /** Stops a generation wherever it runs; answers its state, which is final unless it had ended. */
  Future<GenerationState> stop(String generationId);

  Future<GenerationStatus> status(String generationId);

  /** The whole text as far as it is written. */
  Future<Answer> answer(String generationId);

  /** Generations running in this process now. */
  List<GenerationStatus> running();

  /** Forgets ended generations. */
  Future<Void> delete(Collection<String> generationIds);

  /** Why a generation was not started; the message is fit to show a person. */
  final class Refused extends RuntimeException {
    private final boolean unknownModel;

    public Refused(String message, boolean unknownModel) {
      super(message, null, false, false);
      this.unknownModel = unknownModel;
    }

    /** True when the model asked for is not served; otherwise the server could not start it now. */
    public boolean unknownModel() {
      return unknownModel;
    }
  }
}
