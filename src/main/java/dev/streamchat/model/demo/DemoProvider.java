package dev.streamchat.model.demo;

import dev.streamchat.model.ModelInfo;
import dev.streamchat.model.ModelProvider;
import dev.streamchat.model.ModelRequest;
import dev.streamchat.model.StreamHandle;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The built-in model that serves when nothing else is configured. It writes deterministic,
 * readable Markdown (the same question gives the same answer: a heading, a list, math, a table and
 * a code block, then sentences) at a set pace, and says plainly that it is a demo and how to
 * configure a real model.
 */
public final class DemoProvider implements ModelProvider {

  public static final String ID = "demo";

  private static final String INTRO =
      "This is the built-in **demo model** of streamchat, not a language model: it does not read "
      + "what you wrote, it only shows how answers stream.\n\n"
      + "To chat with a real model, set `OPENAI_BASE_URL` and `OPENAI_API_KEY` (OpenAI, vLLM, "
      + "llama.cpp, LM Studio), `OLLAMA_HOST`, `ANTHROPIC_API_KEY`, or `STREAMCHAT_GGUF` and "
      + "restart the server.";

  /** Answers are Markdown: the demo shows at once what the page makes of it while it streams. */
  private static final String SHOWCASE =
      "\n\n## What answers can hold\n\n"
      + "- **bold**, *italic* and `code`\n"
      + "- math: $e^{i\\pi} + 1 = 0$\n\n"
      + "| Server | Setting |\n"
      + "|---|---|\n"
      + "| vLLM | `OPENAI_BASE_URL` |\n"
      + "| Ollama | `OLLAMA_HOST` |\n\n"
      + "```python\n"
      + "for token in answer:\n"
      + "    print(token, end=\"\")\n"
      + "```";

  private static final String[] SENTENCES = {
      "Every answer is kept as a log of numbered chunks, so a reload shows what came so far and carries on from there.",
      "Two tabs on one conversation watch the same stream, and closing a tab does not stop the answer.",
      "Press Stop to end an answer early; the text written so far is kept.",
      "A dropped connection resumes from the last chunk it received, with no gap and nothing twice.",
      "The admin page lists the answers being written right now, with their speed.",
      "Conversations are stored in an embedded database, or in PostgreSQL when one is configured.",
      "Tokens arrive one by one, the moment the model sends them.",
      "A slow browser never slows the model or anyone else watching.",
  };

  private static final Pattern TOKEN = Pattern.compile("\\s*\\S+");

  private final Vertx vertx;
  private final double tokensPerSecond;
  private final int defaultTokens;

  public DemoProvider(Vertx vertx, double tokensPerSecond, int defaultTokens) {
    this.vertx = vertx;
    this.tokensPerSecond = tokensPerSecond;
    this.defaultTokens = defaultTokens;
  }

  @Override
  public String name() {
    return ID;
  }

  @Override
  public Future<List<ModelInfo>> models() {
    return Future.succeededFuture(List.of(new ModelInfo(ID, ID, "Demo (built-in)", ID)));
  }

  @Override
  public StreamHandle stream(ModelRequest request, StreamListener listener) {
    // Its text goes on for ever: the answer is cut at maxTokens (finish reason length), or at the
    // demo's own length (stop). A JSON answer is whole unless maxTokens cuts it.
    List<String> tokens;
    boolean cut;
    if (request.responseFormat() != null) {
      List<String> whole = DemoJson.tokens(request.responseFormat());
      cut = request.maxTokens() > 0 && request.maxTokens() < whole.size();
      tokens = cut ? whole.subList(0, request.maxTokens()) : whole;
    } else {
      cut = request.maxTokens() > 0;
      tokens = answer(request.lastUserText(), cut ? request.maxTokens() : defaultTokens);
    }
    Run run = new Run(tokens, cut ? FinishReason.LENGTH : FinishReason.STOP, listener);
    run.schedule(0);
    return new StreamHandle() {
      @Override
      public void cancel() {
        run.cancel();
      }

      @Override
      public void pause() {
        run.paused = true;
      }

      @Override
      public void resume() {
        run.resume();
      }
    };
  }

  /** The answer's tokens: the intro, a little Markdown, then sentences in an order chosen by the question. */
  static List<String> answer(String question, int count) {
    List<String> tokens = new ArrayList<>(count);
    addTokens(INTRO, tokens, count);
    addTokens(SHOWCASE, tokens, count);
    int start = Math.floorMod(question.strip().hashCode(), SENTENCES.length);
    for (int i = 0; tokens.size() < count; i++) {
      String sentence = SENTENCES[(start + i) % SENTENCES.length];
      addTokens((i % 3 == 0 ? "\n\n" : " ") + sentence, tokens, count);
    }
    return tokens;
  }

  private static void addTokens(String text, List<String> into, int max) {
    Matcher m = TOKEN.matcher(text);
    while (into.size() < max && m.find()) {
      into.add(into.isEmpty() ? m.group().stripLeading() : m.group());
    }
  }

  /** One answer being written: a timer that catches up with the clock on every tick. */
  private final class Run {
    private final List<String> tokens;
    private final FinishReason finish;
    private final StreamListener listener;
    private final long startNanos = System.nanoTime();
    private int sent;
    private volatile long timer = -1;
    private volatile boolean cancelled;
    private volatile boolean paused;
    private boolean waiting;

    Run(List<String> tokens, FinishReason finish, StreamListener listener) {
      this.tokens = tokens;
      this.finish = finish;
      this.listener = listener;
    }

    void schedule(long delayMs) {
      timer = vertx.setTimer(Math.max(1, delayMs), id -> tick());
    }

    private void tick() {
      if (cancelled) return;
      if (paused) {
        waiting = true;
        return;
      }
      double elapsedMs = (System.nanoTime() - startNanos) / 1e6;
      long due = Math.min(tokens.size(), (long) (elapsedMs * tokensPerSecond / 1000.0) + 1);
      while (sent < due && !cancelled && !paused) listener.onText(tokens.get(sent++));
      if (cancelled) return;
      if (sent >= tokens.size()) {
        listener.onComplete(finish, new Usage(0, tokens.size()));
        return;
      }
      double nextAtMs = sent * 1000.0 / tokensPerSecond;
      schedule((long) Math.ceil(nextAtMs - elapsedMs));
    }

    void cancel() {
      cancelled = true;
      vertx.cancelTimer(timer);
    }

    /** Goes on after a pause; the tokens it held back come at once (the clock ran on). */
    void resume() {
      paused = false;
      if (waiting) {
        waiting = false;
        schedule(0);
      }
    }
  }
}
