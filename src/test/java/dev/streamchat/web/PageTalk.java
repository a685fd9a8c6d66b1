package dev.streamchat.web;

import dev.streamchat.model.FakeModelServer;
import dev.streamchat.model.FakeProviders.Protocol;
import dev.streamchat.model.WireStreams;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/** Fake OpenAI-compatible answers paced for what a browser test watches: piece by piece. */
final class PageTalk {

  private PageTalk() {
  }

  /** Writes {@code pieces}, the first {@code fast} at once and the rest {@code pauseMs} apart, then ends. */
  static FakeModelServer.Responder paced(List<WireStreams.Piece> pieces, int fast, long pauseMs) {
    return (req, ex) -> {
      ex.begin(Protocol.OPENAI.contentType);
      ex.write(("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
          + "\"content\":\"\"}}]}\n\n").getBytes(StandardCharsets.UTF_8));
      for (int i = 0; i < pieces.size(); i++) {
        ex.write(("data: " + WireStreams.openAiChunk(pieces.get(i)) + "\n\n").getBytes(StandardCharsets.UTF_8));
        if (i >= fast && pauseMs > 0) Thread.sleep(pauseMs);
      }
      ex.write(("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
          + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
      ex.end();
    };
  }

  /** Answer text only, in one piece per word. */
  static List<WireStreams.Piece> words(String text) {
    List<WireStreams.Piece> out = new ArrayList<>();
    for (String w : text.split("(?<= )")) out.add(new WireStreams.Piece(false, w));
    return out;
  }

  /** {@code count} short paragraphs, one piece each: enough to make a page scroll. */
  static List<WireStreams.Piece> paragraphs(int count) {
    List<WireStreams.Piece> out = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      out.add(new WireStreams.Piece(false, "Paragraph " + i + ": a few words to fill a line of the answer.\n\n"));
    }
    return out;
  }

  /** Each request gets the next answer: the first gets {@code answers.apply(1)}, and so on. */
  static FakeModelServer.Responder inTurn(IntFunction<FakeModelServer.Responder> answers) {
    AtomicInteger calls = new AtomicInteger();
    return (req, ex) -> answers.apply(calls.incrementAndGet()).respond(req, ex);
  }
}
