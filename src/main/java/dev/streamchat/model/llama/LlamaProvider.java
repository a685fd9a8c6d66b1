package dev.streamchat.model.llama;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import dev.streamchat.model.ModelInfo;
import dev.streamchat.model.ModelProvider;
import dev.streamchat.model.ModelRequest;
import dev.streamchat.model.StreamHandle;
import dev.streamchat.model.Failure;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One GGUF model run inside the JVM by llama.cpp (de.kherud:llama). The file is loaded once;
 * answers are generated one at a time on a dedicated thread, in the order they were asked (the
 * rest wait in a bounded queue): a single llama.cpp context does one sequence at a time, and
 * two answers sharing two CPU cores would each run at half speed anyway.
 */
public final class LlamaProvider implements ModelProvider, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LlamaProvider.class);

  public static final String NAME = "gguf";
  /** Answer length when a request sets no {@code maxTokens}. */
  static final int DEFAULT_MAX_TOKENS = 1024;
  /** Context window; 0 would take the model's training context, which can need gigabytes. */
  static final int CONTEXT_TOKENS = 4096;
  private static final int QUEUE_LIMIT = 64;
  private static final long CLOSE_WAIT_SECONDS = 10;

  private final LlamaModel model;
  private final ModelInfo info;
  private final ThreadPoolExecutor generator;
  private volatile boolean closed;

  /** The loaded model, for tests of prompt building. */
  LlamaModel model() {
    return model;
  }

  private LlamaProvider(LlamaModel model, String fileName) {
    this.model = model;
    this.info = new ModelInfo(NAME + ":" + fileName, NAME, fileName + " (in-process)", fileName);
    this.generator = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(QUEUE_LIMIT), r -> {
          Thread t = new Thread(r, "gguf-generation");
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * Loads the file on a worker thread (never the event loop). Fails with a message naming
   * {@code STREAMCHAT_GGUF} and the file when it is missing, unreadable or not a model.
   */
  public static Future<LlamaProvider> load(Vertx vertx, Path file) {
    return vertx.executeBlocking(() -> {
      Path path = GgufFile.check(file);
      NativeLibrary.prepare();
      long start = System.nanoTime();
      LlamaModel model;
      try {
        model = new LlamaModel(new ModelParameters()
            .setModel(path.toString())
            .setCtxSize(CONTEXT_TOKENS)
            .setParallel(1)
            .disableLog());
      } catch (RuntimeException | LinkageError e) {
        throw new IllegalStateException("STREAMCHAT_GGUF: llama.cpp could not load " + path + ": " + e.getMessage(), e);
      }
      LlamaProvider provider = new LlamaProvider(model, path.getFileName().toString());
      LOG.info("GGUF model {} loaded in {} ms as {} ({} bytes)", path,
          (System.nanoTime() - start) / 1_000_000, provider.info.id(), path.toFile().length());
      return provider;
    });
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<List<ModelInfo>> models() {
    return Future.succeededFuture(List.of(info));
  }

  @Override
  public StreamHandle stream(ModelRequest request, StreamListener listener) {
    Generation generation = new Generation(request, listener);
    try {
      generator.execute(generation);
    } catch (RejectedExecutionException e) {
      listener.onFailure(closed ? Failure.of(Failure.Kind.INTERNAL, "The server is shutting down.")
          : Failure.of(Failure.Kind.RATE_LIMITED, "Too many answers are waiting for the local model; try again in a moment."));
    }
    return generation::cancel;
  }

  /**
   * Stops the running answer (within one token), drops the waiting ones, waits for the generation
   * thread to leave native code, then frees the model's native memory.
   */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    generator.shutdown();
    try {
      if (!generator.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
        // Freeing under a thread still inside llama.cpp would crash the process; leave it to exit.
        LOG.warn("GGUF model {}: generation did not stop within {} s; native memory left to the OS",
            info.id(), CLOSE_WAIT_SECONDS);
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    model.close();
    LOG.info("GGUF model {} closed", info.id());
  }

  /** One answer: waits its turn, then iterates tokens until the end, maxTokens, or Stop. */
  private final class Generation implements Runnable {
    private final ModelRequest request;
    private final StreamListener listener;
    private volatile boolean cancelled;

    Generation(ModelRequest request, StreamListener listener) {
      this.request = request;
      this.listener = listener;
    }

    /** Called by Stop from any thread: only sets the flag the generating thread checks. */
    void cancel() {
      cancelled = true;
    }

    private boolean stopping() {
      return cancelled || closed;
    }

    @Override
    public void run() {
      if (stopping()) return;
      LlamaIterator tokens = null;
      try {
        int maxTokens = request.maxTokens() > 0 ? request.maxTokens() : DEFAULT_MAX_TOKENS;
        // Room for the answer is kept; the rest of the context holds as many newest turns as fit.
        int answerRoom = Math.min(maxTokens, CONTEXT_TOKENS / 2);
        var fitted = ChatPrompt.fit(model, request.messages(), CONTEXT_TOKENS - answerRoom);
        if (fitted.isEmpty()) {
          listener.onFailure(Failure.of(Failure.Kind.REFUSED, "The message is too long for this model: its context holds "
              + CONTEXT_TOKENS + " tokens, with " + answerRoom + " kept for the answer."));
          return;
        }
        String prompt = fitted.get();
        long promptTokens = model.encode(prompt).length;
        int room = (int) Math.min(maxTokens, CONTEXT_TOKENS - promptTokens);
        tokens = model.generate(new InferenceParameters(prompt).setNPredict(room)).iterator();
        long generated = 0;
        while (tokens.hasNext() && !stopping()) {
          LlamaOutput out = tokens.next();
          if (stopping()) break; // the token that was under way when Stop came is dropped
          if (tokens.hasNext()) generated++;
          if (!out.text.isEmpty()) listener.onText(out.text);
        }
        if (stopping()) return;
        // The iterator ends by itself at the model's end of text or at n_predict.
        FinishReason reason = generated + 1 >= room ? FinishReason.LENGTH : FinishReason.STOP;
        listener.onComplete(reason, new Usage(promptTokens, generated));
      } catch (RuntimeException e) {
        LOG.warn("GGUF model {}: generation failed", info.id(), e);
        if (!stopping()) listener.onFailure(Failure.of(Failure.Kind.MODEL, "The local model failed: " + clip(e.getMessage())));
      } finally {
        // Leaving the loop without cancel() lets llama.cpp run on to n_predict. And cancel() must
        // come from this, the iterating thread: from another one, while this waits in next(), it hangs.
        if (tokens != null && tokens.hasNext()) tokens.cancel();
      }
    }
  }

  private static String clip(String message) {
    if (message == null || message.isBlank()) return "unknown error";
    return message.length() <= 200 ? message : message.substring(0, 200) + "…";
  }
}
