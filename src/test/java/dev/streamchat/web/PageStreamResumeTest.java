package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.markdown.IncrementalMarkdown;
import dev.streamchat.markdown.MarkdownRenderer;
import dev.streamchat.markdown.Tail;
import dev.streamchat.model.FakeModelServer;
import dev.streamchat.model.WireStreams;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The chat page's event stream over real HTTP: a page that shows an answer as it was after chunk N
 * and resumes with {@code ?after=N} ends with exactly the stored answer's HTML, for every N: the
 * stream sends the blocks finished after N once, edits of the tail N left, and an end that changes
 * only what the tail did not show yet. The JSON API's chunks of the same answer are its text, as before.
 */
class PageStreamResumeTest {

  private static final String ANSWER = "# Plan\n\nFirst **bold** words and `code`.\n\n- one\n- two\n\n"
      + "| a | b |\n|---|---|\n| 1 | 2 |\n\n```sh\necho one\necho two\n```\n\nMath $x^2$ and the end *open";
  private static final Pattern TEMPLATE = Pattern.compile(
      "<template class=\"md-end\" data-state=\"([a-z]+)\" data-keep=\"(true|false)\"[^>]*>(.*?)</template>", Pattern.DOTALL);

  /** The page: finished blocks appended, the tail rebuilt from edits, as webroot/render.js does. */
  private static final class Page {
    final StringBuilder blocks = new StringBuilder();
    String tail;
    String code;

    Page(IncrementalMarkdown at) {
      blocks.append(String.join("", at.finishedBlocks()));
      tail = at.tail().html();
      code = at.tail().code();
    }

    void apply(SseEvent e) {
      if (e.event().equals("end")) {
        Matcher m = TEMPLATE.matcher(e.data());
        assertTrue(m.find(), e.data());
        blocks.append(m.group(2).equals("true") ? new Tail(tail, code, code == null ? null : "").withCode() : m.group(3));
        tail = "";
        code = null;
        return;
      }
      assertEquals("md", e.event());
      JsonObject data = new JsonObject(e.data());
      if (data.containsKey("b")) blocks.append(data.getString("b"));
      if (data.containsKey("t")) {
        tail = edit(data.getJsonArray("t")).applyTo(tail);
        code = null;
      }
      if (data.containsKey("c")) code = edit(data.getJsonArray("c")).applyTo(code == null ? "" : code);
    }

    private static Tail.Edit edit(JsonArray a) {
      return new Tail.Edit(a.getInteger(0), a.getString(1));
    }
  }

  @Test
  void aResumeAfterEveryChunkEndsWithTheStoredAnswersHtml() throws Exception {
    List<String> pieces = Pattern.compile("\\s*\\S{1,3}|\\s+").matcher(ANSWER).results().map(m -> m.group()).toList();
    try (FakeModelServer model = new FakeModelServer((req, ex) -> {
      if (req.path().startsWith("/v1/models")) {
        ex.reply(200, "application/json", "{\"data\":[{\"id\":\"md\"}]}");
        return;
      }
      ex.begin("text/event-stream");
      for (String p : pieces) {
        ex.write(("data: " + WireStreams.openAiChunk(new WireStreams.Piece(false, p)) + "\n\n").getBytes(StandardCharsets.UTF_8));
      }
      ex.write("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
          .getBytes(StandardCharsets.UTF_8));
      ex.end();
    });
         TestServer server = TestServer.start(Map.of("OPENAI_BASE_URL", model.url("/v1"), "OPENAI_API_KEY", "test"))) {
      ApiClient api = ApiClient.of(server.url(""));
      String gid = api.ask(api.newConversation(), "plan", "openai:md", null);
      assertEquals("done", api.awaitFinal(gid).getString("state"));
      JsonObject generation = api.generation(gid);
      assertEquals(ANSWER, generation.getString("text"));
      long chunks = generation.getLong("chunks");
      String stored = MarkdownRenderer.get().toHtml(ANSWER);
      int resumes = 0;
      for (long n = 0; n <= chunks; n++) {
        // The text up to chunk n: what the API's stream (chunks of text, unchanged) does not send after n.
        StringBuilder after = new StringBuilder();
        for (SseEvent e : api.readAll(gid, null, n)) {
          if (!e.isEnd()) after.append(e.json().getString("text"));
        }
        String prefix = ANSWER.substring(0, ANSWER.length() - after.length());
        assertEquals(ANSWER, prefix + after);
        Page page = new Page(IncrementalMarkdown.of(prefix));
        try (SseConnection c = api.open("/g/" + gid + "/stream?after=" + n, null)) {
          assertEquals(200, c.status());
          for (SseEvent e; (e = c.next()) != null; ) page.apply(e);
        }
        assertEquals(stored, page.blocks.toString(), "resumed after chunk " + n);
        resumes++;
      }
      assertTrue(resumes > 20, "resumes: " + resumes);
    }
  }
}
