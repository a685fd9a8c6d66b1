package dev.streamchat.stream;

import dev.streamchat.model.StreamListener;

/**
 * A stage of a generation's pipeline between the meter and the journal writer: the place of
 * filters. Only what a stage passes on is ever stored, shown, saved or logged.
 *
 * <p>The listener a stage returns gets the generation's events one at a time (never concurrently)
 * and may: pass them on as they come; hold text back and pass it on later (at the latest before
 * it passes the end); or end the answer itself with
 * {@code next.onFailure(Failure.of(Failure.Kind.FILTERED, message))} after {@code upstream.cancel()},
 * then ignore whatever still comes. Stages are assembled in one place, {@link Pipeline}.
 */
@FunctionalInterface
public interface PipelineStage {

  /** The listener in front of {@code next} for this generation; {@code next} itself when the stage does not apply. */
  StreamListener wrap(GenerationRequest request, StreamListener next, Upstream upstream);
}
