package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.anthropic.AnthropicStreamParser;
import dev.streamchat.model.http.LineSplitter;
import dev.streamchat.model.http.Redactor;
import dev.streamchat.model.http.StreamFailure;
import dev.streamchat.model.http.StreamParser;
import dev.streamchat.model.ollama.OllamaStreamParser;
import dev.streamchat.model.openai.OpenAiStreamParser;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the parsers read from a chunk's JSON now that they read it as a stream of tokens. */
class StreamingJsonTest {

  private static RecordingListener openAi(String... chunks) {
    StringBuilder body = new StringBuilder();
    for (String c : chunks) body.append("data: ").append(c).append("\n\n");
    return feedEverySplit(body.append("data: [DONE]\n\n").toString().getBytes(StandardCharsets.UTF_8));
  }

  /** Parses the body whole and cut into two writes at every byte; each cut must say the same. */
  private static RecordingListener feedEverySplit(byte[] body) {
    RecordingListener whole = parse(List.of(body));
    for (int cut = 1; cut < body.length; cut++) {
      RecordingListener l = parse(List.of(Arrays.copyOfRange(body, 0, cut), Arrays.copyOfRange(body, cut, body.length)));
      assertEquals(whole.text.toString(), l.text.toString(), "cut at byte " + cut);
      assertEquals(whole.reasoning.toString(), l.reasoning.toString(), "cut at byte " + cut);
      assertEquals(whole.promptTokens, l.promptTokens, "cut at byte " + cut);
      assertEquals(whole.completionTokens, l.completionTokens, "cut at byte " + cut);
    }
    return whole;
  }

  private static RecordingListener parse(List<byte[]> writes) {
    RecordingListener l = new RecordingListener();
    StreamParser p = new OpenAiStreamParser(l, new Redactor());
    for (byte[] w : writes) p.feed(Buffer.buffer(w));
    p.finish();
    assertTrue(p.complete());
    l.onComplete(p.finishReason(), p.usage());
    return l;
  }

  private static StreamFailure openAiFailure(String chunk) {
    return assertThrows(StreamFailure.class, () -> new OpenAiStreamParser(new RecordingListener(), new Redactor("sk-secret-1234"))
        .feed(Buffer.buffer("data: " + chunk + "\n\n")));
  }

  @Test
  void unicodeEscapesAndSurrogatePairsArriveWholeWhereverTheNetworkCuts() {
    RecordingListener l = openAi("{\"choices\":[{\"delta\":{\"content\":\"caf\\u00e9 \\ud83d\\ude42 🙂 中\\\"文\\\\\\n\"}}]}");
    assertEquals("café 🙂 🙂 中\"文\\\n", l.text.toString());
  }

  @Test
  void fieldsComeInAnyOrderAndUnknownOnesAreSkippedWhateverTheyHold() {
    RecordingListener l = openAi(
        "{\"usage\":null,\"x\":{\"choices\":[{\"delta\":{\"content\":\"not this\"}}],\"deep\":[[{\"a\":[1,{\"b\":null}]}]]},"
            + "\"choices\":[{\"finish_reason\":null,\"logprobs\":{\"content\":[{\"token\":\"no\"}]},\"delta\":{\"tool_calls\":[{\"content\":\"no\"}],"
            + "\"content\":\"Hi\",\"role\":\"assistant\",\"reasoning_content\":\"think\"},\"index\":0},{\"delta\":{\"content\":\"second choice\"}}],"
            + "\"id\":\"c1\",\"created\":1732874400,\"model\":\"m\"}",
        "{\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}],\"usage\":{\"completion_tokens\":9,\"prompt_tokens\":12,\"details\":{\"cached\":[1,2]}}}");
    assertEquals("Hi", l.text.toString());
    assertEquals("think", l.reasoning.toString());
    assertEquals(12, l.promptTokens);
    assertEquals(9, l.completionTokens);
    assertEquals(FinishReason.LENGTH, l.finishReason);
  }

  @Test
  void countsGivenAsStringsAreNoCountsAndFractionsAreCut() {
    RecordingListener l = openAi("{\"choices\":[],\"usage\":{\"prompt_tokens\":\"12\",\"completion_tokens\":9.7}}");
    assertEquals(-1, l.promptTokens);
    assertEquals(9, l.completionTokens);
  }

  @Test
  void aRepeatedFieldCountsOnceTheLastTime() {
    assertEquals("b", openAi("{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"choices\":[{\"delta\":{\"content\":\"b\"}}]}").text.toString());
    assertEquals("", openAi("{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"choices\":[]}").text.toString());
    assertEquals("d", openAi("{\"choices\":[{\"delta\":{\"content\":\"c\",\"content\":\"d\"}}]}").text.toString());
  }

  @Test
  void bytesThatAreNotUtf8AreReadAsReplacementCharacters() {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes("data: {\"choices\":[{\"delta\":{\"content\":\"a".getBytes(StandardCharsets.UTF_8));
    body.writeBytes(new byte[] {(byte) 0xFF, 'b', (byte) 0xE2, (byte) 0x82});
    body.writeBytes("\"}}]}\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    assertEquals("a\uFFFDb\uFFFD", feedEverySplit(body.toByteArray()).text.toString());
  }

  @Test
  void anErrorAnywhereInAChunkWinsOverItsTextAndKeepsNoSecret() {
    StreamFailure f = openAiFailure("{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"error\":{\"code\":5,\"message\":\"Bad key sk-secret-1234\",\"type\":\"auth\"}}");
    assertEquals(Failure.Kind.MODEL, f.failure().kind());
    assertEquals("The model server reported an error: Bad key [redacted]", f.getMessage());
    assertEquals("The model server reported an error: [1,\"two\",{\"three\":3}]", openAiFailure("{\"error\":[1,\"two\",{\"three\":3}]}").getMessage());
    assertEquals("The model server reported an error: 100.0", openAiFailure("{\"error\":1e2}").getMessage());
    assertEquals("The model server reported an error: plain", openAiFailure("{\"error\":\"plain\"}").getMessage());
  }

  @Test
  void aChunkWithAnythingAfterItsObjectIsMalformed() {
    for (String bad : List.of("{\"choices\":[]} {}", "{\"choices\":[]}x", "[]", "", "{\"choices\":[null]}", "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]")) {
      StreamFailure f = openAiFailure(bad);
      assertEquals(Failure.Kind.MALFORMED, f.failure().kind(), bad);
      assertEquals("The model server sent a malformed chunk.", f.getMessage(), bad);
    }
  }

  @Test
  void anthropicAndOllamaReadTheirFieldsInAnyOrder() {
    RecordingListener a = new RecordingListener();
    StreamParser anthropic = new AnthropicStreamParser(a, new Redactor());
    anthropic.feed(Buffer.buffer("event: content_block_delta\ndata: {\"delta\":{\"text\":\"Hi \\u00fc\",\"x\":[{}],\"type\":\"text_delta\"},\"index\":0,\"type\":\"content_block_delta\"}\n\n"
        + "data: {\"usage\":{\"output_tokens\":9},\"delta\":{\"stop_sequence\":null,\"stop_reason\":\"max_tokens\"},\"type\":\"message_delta\"}\n\n"
        + "event: message_stop\ndata: {}\n\n"));
    assertTrue(anthropic.complete());
    assertEquals("Hi ü", a.text.toString());
    assertEquals(FinishReason.LENGTH, anthropic.finishReason());
    assertEquals(9, anthropic.usage().completionTokens());

    RecordingListener o = new RecordingListener();
    StreamParser ollama = new OllamaStreamParser(o, new Redactor());
    ollama.feed(Buffer.buffer("\u3000\n{\"done\":false,\"message\":{\"images\":null,\"content\":\"Hey\"}}\n"
        + "{\"eval_count\":9,\"done_reason\":\"length\",\"prompt_eval_count\":\"12\",\"done\":true,\"message\":{\"content\":\"\"}}\n"));
    assertTrue(ollama.complete());
    assertEquals("Hey", o.text.toString());
    assertEquals(new Usage(-1, 9), ollama.usage());
    assertEquals(FinishReason.LENGTH, ollama.finishReason());
  }

  @Test
  void aLineOverTheBoundFailsWhetherItCameInOneWriteOrMany() {
    List<String> lines = new ArrayList<>();
    byte[] longLine = new byte[1025];
    Arrays.fill(longLine, (byte) 'x');
    longLine[1024] = '\n';
    StreamParsersTest.textLines(1024, lines).feed(longLine); // 1,024 bytes and its end: fits
    assertEquals(1, lines.size());
    byte[] tooLong = Arrays.copyOf(longLine, 1026);
    tooLong[1024] = 'x';
    tooLong[1025] = '\n';
    assertThrows(LineSplitter.LineTooLong.class, () -> StreamParsersTest.textLines(1024, lines).feed(tooLong));
    LineSplitter split = StreamParsersTest.textLines(1024, lines);
    split.feed(Arrays.copyOfRange(tooLong, 0, 600));
    assertThrows(LineSplitter.LineTooLong.class, () -> split.feed(Arrays.copyOfRange(tooLong, 600, 1026)));
  }
}
