package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Each provider's parser on recorded bytes, split by the network at every possible place. */
class StreamParsersTest {

  private static final String SECRET = "sk-test-PARSER-SECRET-31337";

  enum Protocol {
    OPENAI(WireStreams::openAi, (l, r) -> new OpenAiStreamParser(l, r)),
    OLLAMA(WireStreams::ollama, (l, r) -> new OllamaStreamParser(l, r)),
    ANTHROPIC(WireStreams::anthropic, (l, r) -> new AnthropicStreamParser(l, r));

    final BiFunction<List<WireStreams.Piece>, Boolean, byte[]> body;
    final BiFunction<StreamListener, Redactor, StreamParser> parser;

    Protocol(BiFunction<List<WireStreams.Piece>, Boolean, byte[]> body,
        BiFunction<StreamListener, Redactor, StreamParser> parser) {
      this.body = body;
      this.parser = parser;
    }
  }

  private static RecordingListener parse(Protocol p, List<byte[]> writes) {
    RecordingListener l = new RecordingListener();
    StreamParser parser = p.parser.apply(l, new Redactor(SECRET));
    for (byte[] w : writes) parser.feed(Buffer.buffer(w));
    parser.finish();
    assertTrue(parser.complete(), p + " sees the end of the answer");
    l.onComplete(parser.finishReason(), parser.usage());
    return l;
  }

  @Test
  void everyParserReadsTheAnswerWhereverTheNetworkSplitsIt() {
    String text = WireStreams.text(WireStreams.ANSWER);
    String reasoning = WireStreams.reasoning(WireStreams.ANSWER);
    for (Protocol p : Protocol.values()) {
      byte[] body = p.body.apply(WireStreams.ANSWER, true);
      for (int cut = 0; cut <= body.length; cut++) {
        RecordingListener l = parse(p, List.of(Arrays.copyOfRange(body, 0, cut), Arrays.copyOfRange(body, cut, body.length)));
        assertEquals(text, l.text.toString(), p + " split at byte " + cut);
        assertEquals(reasoning, l.reasoning.toString(), p + " split at byte " + cut);
        assertEquals(12, l.promptTokens, p + " prompt tokens");
        assertEquals(9, l.completionTokens, p + " completion tokens");
      }
      List<byte[]> oneByOne = new ArrayList<>();
      for (byte b : body) oneByOne.add(new byte[] {b});
      assertEquals(text, parse(p, oneByOne).text.toString(), p + " byte by byte");
    }
  }

  @Test
  void aStreamWithoutItsEndIsNotComplete() {
    for (Protocol p : Protocol.values()) {
      RecordingListener l = new RecordingListener();
      StreamParser parser = p.parser.apply(l, new Redactor());
      parser.feed(Buffer.buffer(p.body.apply(WireStreams.ANSWER, false)));
      parser.finish();
      assertFalse(parser.complete(), p.name());
      assertEquals(WireStreams.text(WireStreams.ANSWER), l.text.toString(), p + " keeps the partial text");
    }
  }

  @Test
  void aMalformedChunkFailsWithAShortMessage() {
    Function<Protocol, String> junk = p -> p == Protocol.OLLAMA ? "{\"message\": {\"content\": \"x\"\n" : "data: {\"choices\": [\n\n";
    for (Protocol p : Protocol.values()) {
      StreamParser parser = p.parser.apply(new RecordingListener(), new Redactor());
      StreamFailure f = assertThrows(StreamFailure.class,
          () -> parser.feed(Buffer.buffer(junk.apply(p).getBytes(StandardCharsets.UTF_8))), p.name());
      assertEquals("The model server sent a malformed chunk.", f.getMessage());
    }
  }

  @Test
  void errorsReportedMidStreamFailWithoutTheSecret() {
    String anthropic = "event: error\r\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded for key " + SECRET + "\"}}\r\n\r\n";
    StreamFailure a = assertThrows(StreamFailure.class, () -> new AnthropicStreamParser(new RecordingListener(), new Redactor(SECRET))
        .feed(Buffer.buffer(anthropic)));
    assertTrue(a.getMessage().contains("overloaded_error"), a.getMessage());
    assertFalse(a.getMessage().contains(SECRET), a.getMessage());

    String openAi = "data: {\"error\":{\"message\":\"Bad key " + SECRET + "\",\"type\":\"invalid_request_error\"}}\n\n";
    StreamFailure o = assertThrows(StreamFailure.class, () -> new OpenAiStreamParser(new RecordingListener(), new Redactor(SECRET))
        .feed(Buffer.buffer(openAi)));
    assertFalse(o.getMessage().contains(SECRET), o.getMessage());

    StreamFailure n = assertThrows(StreamFailure.class, () -> new OllamaStreamParser(new RecordingListener(), new Redactor())
        .feed(Buffer.buffer("{\"error\":\"model 'x' not found\"}\n")));
    assertTrue(n.getMessage().contains("model 'x' not found"), n.getMessage());
  }

  @Test
  void lineSplitterHandlesCrLfAcrossWritesAndSplitCharacters() {
    List<String> lines = new ArrayList<>();
    LineSplitter s = textLines(1024, lines);
    byte[] smile = "🙂".getBytes(StandardCharsets.UTF_8);
    s.feed("a\r".getBytes(StandardCharsets.UTF_8));
    s.feed("\nb".getBytes(StandardCharsets.UTF_8));
    s.feed(Arrays.copyOfRange(smile, 0, 1));
    s.feed(Arrays.copyOfRange(smile, 1, 4));
    s.feed("\rc\n\nd".getBytes(StandardCharsets.UTF_8));
    s.finish();
    assertEquals(List.of("a", "b🙂", "c", "", "d"), lines);
    LineSplitter bounded = textLines(1024, lines);
    assertThrows(LineSplitter.LineTooLong.class, () -> bounded.feed(new byte[2000]));
  }

  /** A splitter that collects each line as text (UTF-8, malformed bytes replaced). */
  static LineSplitter textLines(int maxLineBytes, List<String> into) {
    return new LineSplitter(maxLineBytes, (bytes, offset, length) ->
        into.add(new String(bytes, offset, length, StandardCharsets.UTF_8)));
  }
}
