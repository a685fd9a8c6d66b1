package dev.streamchat.filter;

import dev.streamchat.model.Failure;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.GenerationRequest;
import dev.streamchat.stream.PipelineStage;
import dev.streamchat.stream.Upstream;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The redaction rules as a pipeline stage: the answer's text and its reasoning each go through
 * their own {@link Redaction}, so what reaches the journal (and so anyone) is only released text.
 * An ending phrase stops the model and ends the answer done, finish reason {@code content_filter}.
 */
public final class RedactionStage implements PipelineStage {

  private static final Logger LOG = LoggerFactory.getLogger(RedactionStage.class);

  private final List<Rule> rules;
  private final int holdChars;
  private final FilterMetrics metrics;

  public RedactionStage(List<Rule> rules, int holdChars, FilterMetrics metrics) {
    this.rules = List.copyOf(rules);
    this.holdChars = holdChars;
    this.metrics = metrics;
  }

  @Override
  public StreamListener wrap(GenerationRequest request, StreamListener next, Upstream upstream) {
    return rules.isEmpty() ? next : new Filtered(request.info().id(), next, upstream);
  }

  private final class Filtered implements StreamListener {
    private final String id;
    private final StreamListener next;
    private final Upstream upstream;
    private final Redaction text = new Redaction(rules, holdChars);
    private final Redaction reasoning = new Redaction(rules, holdChars);
    private boolean ended;
    /** What both filters hold, for the admin page (read from other threads). */
    private volatile int held;
    /** What the stages before this one hold, and the total last told to the next. */
    private int heldBefore;
    private int told;

    Filtered(String id, StreamListener next, Upstream upstream) {
      this.id = id;
      this.next = next;
      this.upstream = upstream;
      metrics.track(id, () -> held);
    }

    @Override
    public void onText(String piece) {
      if (ended) return;
      pass(text, text.feed(piece), false);
      endedByPhrase();
    }

    @Override
    public void onReasoning(String piece) {
      if (ended) return;
      pass(reasoning, reasoning.feed(piece), true);
      endedByPhrase();
    }

    @Override
    public void onHeld(int chars) {
      heldBefore = chars;
      tellHeld();
    }

    private void tellHeld() {
      int total = ended ? 0 : held + heldBefore;
      if (total == told) return;
      told = total;
      next.onHeld(total);
    }

    /**
     * The model's own end: what is held is judged as it stands (it can no longer become a match).
     * An answer cut short (a length bound, the model server's filter) may have been cut inside a
     * secret, so what is held then is not shown: it is only ever the start of a possible match.
     */
    @Override
    public void onComplete(FinishReason reason, Usage usage) {
      if (ended) return;
      if (reason == FinishReason.STOP) {
        flush();
        if (endedByPhrase()) return;
      }
      ended = true;
      held = 0;
      next.onComplete(reason, usage);
    }

    /** A stream that broke may have broken inside a secret: what is held is not shown. */
    @Override
    public void onFailure(Failure failure) {
      if (ended) return;
      ended = true;
      held = 0;
      next.onFailure(failure);
    }

    private void flush() {
      pass(reasoning, reasoning.finish(), true);
      pass(text, text.finish(), false);
    }

    private void pass(Redaction filter, String released, boolean isReasoning) {
      metrics.redacted(isReasoning ? "reasoning" : "text", filter.newRedactions());
      held = ended ? 0 : text.held() + reasoning.held();
      if (!released.isEmpty()) {
        if (isReasoning) next.onReasoning(released);
        else next.onText(released);
      }
      tellHeld();
    }

    /** After an ending phrase: the model is stopped and the answer ends where the phrase began. */
    private boolean endedByPhrase() {
      if (ended || !(text.ended() || reasoning.ended())) return ended;
      ended = true;
      upstream.cancel();
      metrics.blocked("ending-phrase");
      LOG.info("generation {}: ended by the ending phrase of {}", id,
          (text.ended() ? text : reasoning).endedBy().source());
      // The other stream's held text was written before the phrase came: it is released.
      if (text.ended()) pass(reasoning, reasoning.finish(), true);
      else pass(text, text.finish(), false);
      held = 0;
      next.onComplete(FinishReason.CONTENT_FILTER, Usage.UNKNOWN);
      return true;
    }
  }
}
