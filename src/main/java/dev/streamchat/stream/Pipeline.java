package dev.streamchat.stream;

import dev.streamchat.model.Failure;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamHandle;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * One generation's pipeline, assembled here and nowhere else:
 * provider → (onto the generation's context) → {@link Meter} → stages (filters) →
 * {@link JournalWriter}. Each is a decorator of the same port, {@link StreamListener}; the
 * Continue prefix enters at the head like the model's text.
 */
final class Pipeline {

  /** streamchat's own bounds on every answer. */
  record Bounds(int maxTokens, long maxBytes) {
  }

  private final StreamListener head;
  private final JournalWriter writer;
  private final Control upstream;

  private Pipeline(StreamListener head, JournalWriter writer, Control upstream) {
    this.head = head;
    this.writer = writer;
    this.upstream = upstream;
  }

  static Pipeline assemble(GenerationRequest request, Context context, StreamStore store, List<PipelineStage> stages,
      Bounds bounds) {
    Control upstream = new Control();
    JournalWriter writer = new JournalWriter(context, store, request.info(), upstream, request.resume());
    StreamListener next = writer;
    for (int i = stages.size() - 1; i >= 0; i--) next = stages.get(i).wrap(request, next, upstream);
    int maxTokens = request.maxTokens() > 0 ? Math.min(request.maxTokens(), bounds.maxTokens()) : bounds.maxTokens();
    Meter meter = new Meter(next, upstream, maxTokens, bounds.maxBytes());
    if (request.resume() != null) meter.alreadyWritten(request.resume().afterSeq(), request.resume().bytes());
    return new Pipeline(new OnContext(context, meter), writer, upstream);
  }

  /** Where the provider (and the Continue prefix) sends the answer. */
  StreamListener head() {
    return head;
  }

  JournalWriter writer() {
    return writer;
  }

  /** The provider's handle, once {@code stream} has returned it. */
  void upstream(StreamHandle handle) {
    upstream.set(handle);
  }

  /**
   * Brings a provider's events onto the generation's context (a GGUF model calls from its own
   * thread), so every stage after it runs on one thread at a time; already there, it costs nothing.
   */
  private record OnContext(Context context, StreamListener next) implements StreamListener {
    private void run(Runnable r) {
      if (Vertx.currentContext() == context) r.run();
      else context.runOnContext(v -> r.run());
    }

    @Override
    public void onText(String text) {
      run(() -> next.onText(text));
    }

    @Override
    public void onReasoning(String text) {
      run(() -> next.onReasoning(text));
    }

    @Override
    public void onComplete(FinishReason reason, Usage usage) {
      run(() -> next.onComplete(reason, usage));
    }

    @Override
    public void onFailure(Failure failure) {
      run(() -> next.onFailure(failure));
    }
  }

  /** The model's stream, which stages may cancel before the provider has even returned its handle. */
  private static final class Control implements Upstream {
    private StreamHandle handle;
    private boolean cancelled;
    private boolean paused;

    synchronized void set(StreamHandle h) {
      handle = h;
      if (cancelled) h.cancel();
      else if (paused) h.pause();
    }

    @Override
    public void pause() {
      StreamHandle h;
      synchronized (this) {
        if (paused || cancelled) return;
        paused = true;
        h = handle;
      }
      if (h != null) h.pause();
    }

    @Override
    public void resume() {
      StreamHandle h;
      synchronized (this) {
        if (!paused || cancelled) return;
        paused = false;
        h = handle;
      }
      if (h != null) h.resume();
    }

    @Override
    public void cancel() {
      StreamHandle h;
      synchronized (this) {
        if (cancelled) return;
        cancelled = true;
        h = handle;
      }
      if (h != null) h.cancel();
    }
  }
}
