package dev.streamchat.filter;

import dev.streamchat.model.Failure;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.GenerationRequest;
import dev.streamchat.stream.PipelineStage;
import dev.streamchat.stream.Upstream;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moderation as a pipeline stage: the answer (text and reasoning) is cut into windows, each ending
 * at a sentence end or after {@code windowChars}, and a window is passed on only once the
 * moderation endpoint judged it. One call is in flight per answer; the windows closed meanwhile
 * go together in the next. A flagged window is never passed on: the model is stopped and the
 * answer fails with {@link #STOPPED}; an endpoint that fails stops it too ({@link #UNAVAILABLE}).
 * Everything runs on the context the first event came on (the pipeline delivers them on the
 * generation's context); the moderation client's answers hop onto it. Held text is not bounded by pausing the
 * model: it is what the model writes while one call is judged.
 */
public final class ModerationStage implements PipelineStage {

  private static final Logger LOG = LoggerFactory.getLogger(ModerationStage.class);

  /** The answer's failure when a window was flagged; {@code %s} lists the categories. */
  public static final String STOPPED = "The answer was stopped by the content filter (%s).";
  public static final String UNAVAILABLE = "The answer was stopped because the content filter could not be reached.";
  /** Windows judged in one call at most; more wait for the next. */
  private static final int MAX_WINDOWS_PER_CALL = 32;

  private final Vertx vertx;
  private final ModerationClient client;
  private final int windowChars;
  private final FilterMetrics metrics;

  public ModerationStage(Vertx vertx, ModerationClient client, int windowChars, FilterMetrics metrics) {
    this.vertx = vertx;
    this.client = client;
    this.windowChars = windowChars;
    this.metrics = metrics;
  }

  @Override
  public StreamListener wrap(GenerationRequest request, StreamListener next, Upstream upstream) {
    return new Gate(vertx.getOrCreateContext(), request.info().id(), next, upstream);
  }

  /** A window of one kind of text: answer or reasoning. */
  private record Window(boolean reasoning, String text) {
  }

  private final class Gate implements StreamListener {
    /** Where the gate runs: the context of the first event (the generation's lane), else the one it was made on. */
    private Context context;
    private final Context fallback;
    private final String id;
    private final StreamListener next;
    private final Upstream upstream;
    private final StringBuilder open = new StringBuilder();
    private boolean openIsReasoning;
    private List<Window> closed = new ArrayList<>();
    private List<Window> judging = List.of();
    /** The end to pass on once every window before it was judged and passed. */
    private Runnable end;
    private boolean stopped;
    /** What the gate holds, for the admin page (read from other threads). */
    private volatile int held;
    /** What the stages before this one hold, and the total last told to the next. */
    private int heldBefore;
    private int told;

    Gate(Context fallback, String id, StreamListener next, Upstream upstream) {
      this.fallback = fallback;
      this.id = id;
      metrics.track(id, () -> held);
      this.next = next;
      this.upstream = upstream;
    }

    @Override
    public void onText(String text) {
      onContext(() -> add(false, text));
    }

    @Override
    public void onReasoning(String text) {
      onContext(() -> add(true, text));
    }

    @Override
    public void onComplete(FinishReason reason, Usage usage) {
      onContext(() -> ending(() -> next.onComplete(reason, usage)));
    }

    @Override
    public void onFailure(Failure failure) {
      onContext(() -> ending(() -> next.onFailure(failure)));
    }

    @Override
    public void onHeld(int chars) {
      onContext(() -> {
        heldBefore = chars;
        tellHeld();
      });
    }

    private void tellHeld() {
      int total = stopped ? 0 : held + heldBefore;
      if (total == told) return;
      told = total;
      next.onHeld(total);
    }

    private void add(boolean reasoning, String text) {
      if (stopped || end != null) return;
      if (open.length() > 0 && openIsReasoning != reasoning) close(open.length());
      openIsReasoning = reasoning;
      open.append(text);
      for (int cut = windowEnd(); cut > 0; cut = windowEnd()) close(cut);
      held();
      send();
    }

    /** Where the open window ends: after its first sentence end, at {@code windowChars}, or 0 (not yet). */
    private int windowEnd() {
      int limit = Math.min(open.length(), windowChars);
      for (int i = 0; i < limit; i++) {
        char c = open.charAt(i);
        if (c == '\n') return i + 1;
        if ((c == '.' || c == '!' || c == '?') && i + 1 < open.length() && Character.isWhitespace(open.charAt(i + 1))) {
          return i + 2;
        }
      }
      return open.length() >= windowChars ? windowChars : 0;
    }

    private void close(int chars) {
      closed.add(new Window(openIsReasoning, open.substring(0, chars)));
      open.delete(0, chars);
    }

    private void ending(Runnable passOn) {
      if (stopped || end != null) return;
      if (open.length() > 0) close(open.length());
      end = passOn;
      send();
    }

    /** Sends the closed windows when no call is in flight; passes the end on once all are judged. */
    private void send() {
      if (stopped || !judging.isEmpty()) return;
      if (closed.isEmpty()) {
        if (end != null) {
          stopped = true;
          held = 0;
          end.run();
        }
        return;
      }
      int n = Math.min(closed.size(), MAX_WINDOWS_PER_CALL);
      judging = List.copyOf(closed.subList(0, n));
      closed.subList(0, n).clear();
      client.judge(judging.stream().map(Window::text).toList()).onComplete(ar -> onContext(() -> {
        if (stopped) return;
        if (ar.failed()) {
          stop(UNAVAILABLE, "unavailable");
          return;
        }
        List<List<String>> verdicts = ar.result();
        for (int i = 0; i < judging.size(); i++) {
          if (!verdicts.get(i).isEmpty()) {
            stop(String.format(STOPPED, String.join(", ", verdicts.get(i))), "moderation");
            return;
          }
          Window w = judging.get(i);
          if (w.reasoning()) next.onReasoning(w.text());
          else next.onText(w.text());
        }
        judging = List.of();
        held();
        send();
      }));
    }

    private void stop(String message, String reason) {
      LOG.info("generation {}: {}", id, message);
      stopped = true;
      upstream.cancel();
      metrics.blocked(reason);
      held = 0;
      next.onFailure(Failure.of(Failure.Kind.FILTERED, message));
    }

    private void held() {
      int chars = open.length();
      for (Window w : closed) chars += w.text().length();
      for (Window w : judging) chars += w.text().length();
      held = chars;
      tellHeld();
    }

    private void onContext(Runnable r) {
      Context current = Vertx.currentContext();
      synchronized (this) {
        if (context == null) context = current != null ? current : fallback;
      }
      if (current == context) r.run();
      else context.runOnContext(v -> r.run());
    }
  }
}
