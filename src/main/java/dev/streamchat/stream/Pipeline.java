package dev.streamchat.stream;

import dev.streamchat.model.StreamHandle;
import dev.streamchat.model.StreamListener;
import io.vertx.core.Context;
import java.util.List;

/**
 * One generation's pipeline, assembled here and nowhere else:
 * provider → {@link Meter} → stages (filters) → {@link JournalWriter}. Each is a decorator of the
 * same port, {@link StreamListener}; the Continue prefix enters at the head like the model's text.
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
    JournalWriter writer = new JournalWriter(context, store, request.info(), upstream);
    StreamListener next = writer;
    for (int i = stages.size() - 1; i >= 0; i--) next = stages.get(i).wrap(request, next, upstream);
    int maxTokens = request.maxTokens() > 0 ? Math.min(request.maxTokens(), bounds.maxTokens()) : bounds.maxTokens();
    return new Pipeline(new Meter(next, upstream, maxTokens, bounds.maxBytes()), writer, upstream);
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

  /** The model's stream, which stages may cancel before the provider has even returned its handle. */
  private static final class Control implements Upstream {
    private StreamHandle handle;
    private boolean cancelled;

    synchronized void set(StreamHandle h) {
      handle = h;
      if (cancelled) h.cancel();
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
