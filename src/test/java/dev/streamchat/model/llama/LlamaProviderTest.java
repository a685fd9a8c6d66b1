package dev.streamchat.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.ChatMessage;
import dev.streamchat.model.ModelInfo;
import dev.streamchat.model.ModelRequest;
import dev.streamchat.model.StreamHandle;
import dev.streamchat.model.Failure;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The in-JVM provider with the real stories260K model and the real llama.cpp: no Vert.x app around it. */
class LlamaProviderTest {

  private static Vertx vertx;
  private static LlamaProvider shared;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (shared != null) shared.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static LlamaProvider load() throws Exception {
    Path file = Stories260K.path();
    long start = System.nanoTime();
    LlamaProvider p = LlamaProvider.load(vertx, file).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    System.out.printf("figure: GGUF load %.1f ms (stories260K, %s)%n", (System.nanoTime() - start) / 1e6,
        shared == null ? "first load, native library unpacked" : "library already loaded");
    return p;
  }

  private static synchronized LlamaProvider provider() throws Exception {
    if (shared == null) shared = load();
    return shared;
  }

  private static ModelRequest ask(String text, int maxTokens) {
    return new ModelRequest("stories260K.gguf", List.of(new ChatMessage("user", text)), maxTokens);
  }

  /** Records what a stream delivers, with the time of each piece. */
  static final class Recorder implements StreamListener {
    final List<String> texts = new ArrayList<>();
    final List<Long> nanos = new ArrayList<>();
    final CompletableFuture<String> end = new CompletableFuture<>();
    volatile long completionTokens = -1;

    @Override
    public synchronized void onText(String text) {
      texts.add(text);
      nanos.add(System.nanoTime());
    }

    @Override
    public void onReasoning(String text) {
      throw new AssertionError("a GGUF model streams no separate reasoning");
    }

    @Override
    public void onComplete(FinishReason reason, Usage usage) {
      completionTokens = usage.completionTokens();
      end.complete("done");
    }

    @Override
    public void onFailure(Failure failure) {
      end.complete("error: " + failure.message());
    }

    synchronized int count() {
      return texts.size();
    }

    synchronized long firstAt() {
      return nanos.get(0);
    }

    synchronized long lastAt() {
      return nanos.get(nanos.size() - 1);
    }

    String awaitEnd() throws Exception {
      return end.get(30, TimeUnit.SECONDS);
    }

    void awaitCount(int n) throws InterruptedException {
      for (int i = 0; i < 1000 && count() < n; i++) Thread.sleep(5);
      assertTrue(count() >= n, "expected " + n + " tokens, got " + count() + " (end: " + end.getNow("running") + ")");
    }
  }

  @Test
  void offersOneModelNamedAfterItsFile() throws Exception {
    List<ModelInfo> models = provider().models().toCompletionStage().toCompletableFuture().get();
    assertEquals(1, models.size());
    assertEquals(Stories260K.ID, models.get(0).id());
    assertEquals("gguf", models.get(0).provider());
  }

  @Test
  void streamsTokenByTokenAndCountsThem() throws Exception {
    Recorder r = new Recorder();
    long start = System.nanoTime();
    provider().stream(ask("Tell me a story about a cat.", 200), r);
    assertEquals("done", r.awaitEnd());
    assertTrue(r.count() >= 2, "several tokens, got " + r.count());
    assertTrue(r.count() <= 200);
    assertTrue(r.completionTokens >= r.count(), "usage counts every token: " + r.completionTokens);
    assertTrue(r.lastAt() > r.firstAt(), "tokens arrive one by one, not all at once");
    double seconds = (r.lastAt() - r.firstAt()) / 1e9;
    System.out.printf("figure: GGUF first token %.1f ms, %d tokens at %.0f tokens/s%n",
        (r.firstAt() - start) / 1e6, r.completionTokens, (r.count() - 1) / seconds);
  }

  @Test
  void aConversationLongerThanTheContextStillGetsAnAnswer() throws Exception {
    String turn = "Once upon a time there was a little dog who liked to run in the park with his friends. ".repeat(12);
    List<ChatMessage> history = new ArrayList<>();
    for (int i = 0; i < 60; i++) history.add(new ChatMessage(i % 2 == 0 ? "user" : "assistant", turn));
    history.add(new ChatMessage("user", "Tell me the end of the story."));
    Recorder r = new Recorder();
    provider().stream(new ModelRequest("stories260K.gguf", history, 8), r);
    assertEquals("done", r.awaitEnd(), "the oldest turns are left out so the rest fits the context");
    assertTrue(r.count() >= 1);

    String prompt = ChatPrompt.fit(provider().model(), history, 1000).orElseThrow();
    assertTrue(provider().model().encode(prompt).length <= 1000, "the prompt fits its budget");
    assertTrue(prompt.contains("Tell me the end of the story."), "the newest turn is kept whole");
    assertTrue(prompt.split("Once upon a time", -1).length - 1 < 60 * 12, "older turns were left out");
  }

  @Test
  void oneMessageLongerThanTheContextFailsWithAClearMessage() throws Exception {
    Recorder r = new Recorder();
    provider().stream(ask("The little dog ran. ".repeat(2000), 8), r);
    String end = r.awaitEnd();
    assertTrue(end.startsWith("error: ") && end.contains("too long") && end.contains("4096"), end);
  }

  @Test
  void maxTokensBoundsTheAnswer() throws Exception {
    Recorder r = new Recorder();
    provider().stream(ask("Once upon a time", 5), r);
    assertEquals("done", r.awaitEnd());
    assertTrue(r.count() >= 1 && r.count() <= 5, "1 to 5 tokens, got " + r.count());
    assertTrue(r.completionTokens <= 5, "usage " + r.completionTokens);
  }

  @Test
  void stopEndsTheAnswerWithinOneTokenAndTheNextAnswerFollows() throws Exception {
    LlamaProvider p = provider();
    Recorder first = new Recorder();
    StreamHandle handle = p.stream(ask("Tell me a long story.", 3000), first);
    first.awaitCount(20);
    int atStop;
    long stopAt;
    synchronized (first) {
      atStop = first.count();
      stopAt = System.nanoTime();
    }
    handle.cancel();
    Recorder second = new Recorder();
    p.stream(ask("Tell me another story.", 10), second);
    assertEquals("done", second.awaitEnd(), "a second answer after Stop runs to its end");
    assertTrue(second.count() >= 1);
    Thread.sleep(200);
    int after = first.count() - atStop;
    assertTrue(after <= 1, after + " tokens arrived after Stop");
    assertFalse(first.end.isDone(), "a stopped answer gets neither complete nor error: " + first.end.getNow(""));
    System.out.printf("figure: GGUF Stop: %d token(s) after Stop; next answer's first token %.1f ms after Stop%n",
        after, (second.firstAt() - stopAt) / 1e6);
  }

  @Test
  void answersAreGeneratedOneAtATimeInOrder() throws Exception {
    LlamaProvider p = provider();
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    p.stream(ask("Tell me a story.", 30), a);
    p.stream(ask("Tell me a story.", 30), b);
    assertEquals("done", a.awaitEnd());
    assertEquals("done", b.awaitEnd());
    assertTrue(b.firstAt() > a.lastAt(), "the second waits until the first has finished");
  }

  @Test
  void closeStopsTheRunningAnswerFreesTheModelAndRefusesNewOnes() throws Exception {
    LlamaProvider own = load();
    Recorder running = new Recorder();
    own.stream(ask("Tell me a long story.", 3000), running);
    running.awaitCount(5);
    long start = System.nanoTime();
    own.close();
    double ms = (System.nanoTime() - start) / 1e6;
    int atClose = running.count();
    Thread.sleep(100);
    assertEquals(atClose, running.count(), "no token after close");
    Recorder late = new Recorder();
    own.stream(ask("Hello", 5), late);
    assertTrue(late.awaitEnd().contains("shutting down"), late.end.getNow(""));
    System.out.printf("figure: GGUF close with an answer running: %.1f ms%n", ms);
  }

  @Test
  void aMissingFileFailsWithAClearMessage() {
    String message = loadError(Path.of("no-such-dir", "missing.gguf"));
    assertTrue(message.contains("STREAMCHAT_GGUF") && message.contains("missing.gguf")
        && message.contains("no such file"), message);
  }

  @Test
  void aFileThatIsNotGgufFailsWithAClearMessage() throws Exception {
    Path notModel = Files.createTempFile("not-a-model", ".gguf");
    try {
      Files.writeString(notModel, "<html>a download page, not a model</html>");
      String message = loadError(notModel);
      assertTrue(message.contains("STREAMCHAT_GGUF") && message.contains("not a GGUF model"), message);
    } finally {
      Files.delete(notModel);
    }
  }

  private static String loadError(Path file) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> LlamaProvider.load(vertx, file)
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    return e.getCause().getMessage();
  }
}
