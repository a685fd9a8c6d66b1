package dev.streamchat.stream;

import dev.streamchat.model.StreamListener;

/**
 * A stage of a generation's pipeline between the meter and the journal writer: the place of
 * filters. Only what a stage passes on is ever stored, shown, saved or logged.
 *
 * <p>The listener a stage returns gets the generation's events one at a time, on the generation's
 * event-loop context whichever thread the model uses (so it must not block), and may: pass them on as they come; hold text back and pass it on later (at the latest before
 * it passes the end); or end the answer itself with
 * {@code next.onFailure(Failure.of(Failure.Kind.FILTERED, message))} after {@code upstream.cancel()},
 * then ignore whatever still comes. A stage tells {@code next.onHeld} how many characters it and
 * the stages before it hold back (passing on what it is told, plus its own), so viewers can see
 * that text is being checked. Stages are assembled in one place, {@link Pipeline}.
 */
@FunctionalInterface
public interface PipelineStage {

  /** The listener in front of {@code next} for this generation; {@code next} itself when the stage does not apply. */
  StreamListener wrap(GenerationRequest request, StreamListener next, Upstream upstream);
}
