package dev.streamchat.json;

import dev.streamchat.model.Failure;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.GenerationRequest;
import dev.streamchat.stream.PipelineStage;
import dev.streamchat.stream.Upstream;
import io.vertx.core.Vertx;

/**
 * Checks a JSON answer as it passes (after the filters, so it sees what is stored): the text goes
 * on at once and is parsed on the way; at the end a broken value or one that does not match the
 * schema turns the answer {@code failed} with a message saying why. The text is kept either way.
 */
public final class JsonStage implements PipelineStage {

  @Override
  public StreamListener wrap(GenerationRequest request, StreamListener next, Upstream upstream) {
    var format = request.info().responseFormat();
    if (format == null) return next;
    AnswerSchema schema = RequestedFormat.schemaOf(format);
    PartialJson json = new PartialJson();
    // Taken over from an instance that stopped: the answer is judged whole, from its first byte.
    if (request.resume() != null) json.feed(request.resume().text());
    return new StreamListener() {
      @Override
      public void onText(String text) {
        json.feed(text);
        next.onText(text);
      }

      @Override
      public void onReasoning(String text) {
        next.onReasoning(text);
      }

      @Override
      public void onHeld(int chars) {
        next.onHeld(chars);
      }

      @Override
      public void onComplete(FinishReason reason, Usage usage) {
        json.finish();
        if (json.error() != null) {
          next.onFailure(Failure.of(Failure.Kind.MODEL, json.error()));
        } else if (schema == null || Vertx.currentContext() == null) {
          end(schema == null ? null : schema.mismatch(json.result()), reason, usage);
        } else {
          // A schema's patterns are the requester's regular expressions: checked off the event loop.
          Vertx.currentContext().executeBlocking(() -> schema.mismatch(json.result()), false)
              .onComplete(ar -> end(ar.succeeded() ? ar.result()
                  : "The answer could not be checked against the schema: " + ar.cause().getMessage(), reason, usage));
        }
      }

      private void end(String mismatch, FinishReason reason, Usage usage) {
        if (mismatch == null) next.onComplete(reason, usage);
        else next.onFailure(Failure.of(Failure.Kind.MODEL, mismatch));
      }

      @Override
      public void onFailure(Failure failure) {
        next.onFailure(failure);
      }
    };
  }
}
