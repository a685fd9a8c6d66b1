package dev.streamchat.model;

import dev.streamchat.testing.TestServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * One fake server per protocol, each listing one model and answering chat requests with
 * whatever {@link FakeModelServer.Responder} a test sets, and a streamchat pointed at all three.
 */
public final class FakeProviders implements AutoCloseable {

  public static final String OPENAI_KEY = "sk-test-OPENAI-SECRET-c0ffee42";
  public static final String ANTHROPIC_KEY = "sk-ant-test-ANTHROPIC-SECRET-deadbeef";

  /** A protocol: where its models and chat live, what it calls its model, how it writes an answer. */
  public enum Protocol {
    OPENAI("/v1/models", "{\"object\":\"list\",\"data\":[{\"id\":\"fake-gpt\",\"object\":\"model\"}]}",
        "/v1/chat/completions", "openai:fake-gpt", "text/event-stream", WireStreams::openAi),
    OLLAMA("/api/tags", "{\"models\":[{\"name\":\"fake-llama:latest\",\"model\":\"fake-llama:latest\"}]}",
        "/api/chat", "ollama:fake-llama:latest", "application/x-ndjson", WireStreams::ollama),
    ANTHROPIC("/v1/models", "{\"data\":[{\"type\":\"model\",\"id\":\"claude-fake\",\"display_name\":\"Claude Fake\"}],\"has_more\":false}",
        "/v1/messages", "anthropic:claude-fake", "text/event-stream", WireStreams::anthropic);

    public final String modelsPath;
    final String modelsJson;
    public final String chatPath;
    public final String modelId;
    public final String contentType;
    private final BiFunction<List<WireStreams.Piece>, Boolean, byte[]> body;

    Protocol(String modelsPath, String modelsJson, String chatPath, String modelId, String contentType,
        BiFunction<List<WireStreams.Piece>, Boolean, byte[]> body) {
      this.modelsPath = modelsPath;
      this.modelsJson = modelsJson;
      this.chatPath = chatPath;
      this.modelId = modelId;
      this.contentType = contentType;
      this.body = body;
    }

    public byte[] body(List<WireStreams.Piece> pieces, boolean complete) {
      return body.apply(pieces, complete);
    }
  }

  private final Map<Protocol, FakeModelServer> servers = new HashMap<>();
  private final Map<Protocol, FakeModelServer.Responder> chat = new HashMap<>();
  public final TestServer app;

  public FakeProviders(Map<String, String> extraEnv) throws Exception {
    for (Protocol p : Protocol.values()) {
      chat.put(p, answer(p, WireStreams.ANSWER, 0));
      servers.put(p, new FakeModelServer((req, ex) -> {
        if (req.path().startsWith(p.modelsPath)) ex.reply(200, "application/json", p.modelsJson);
        else chat.get(p).respond(req, ex);
      }));
    }
    Map<String, String> env = new HashMap<>(extraEnv);
    env.put("OPENAI_BASE_URL", server(Protocol.OPENAI).url("/v1"));
    env.put("OPENAI_API_KEY", OPENAI_KEY);
    env.put("OLLAMA_HOST", server(Protocol.OLLAMA).url(""));
    env.put("ANTHROPIC_BASE_URL", server(Protocol.ANTHROPIC).url(""));
    env.put("ANTHROPIC_API_KEY", ANTHROPIC_KEY);
    app = TestServer.start(env);
  }

  public FakeModelServer server(Protocol p) {
    return servers.get(p);
  }

  /** Sets how the protocol's server answers chat requests from now on. */
  public void onChat(Protocol p, FakeModelServer.Responder r) {
    chat.put(p, r);
    servers.get(p).respond((req, ex) -> {
      if (req.path().startsWith(p.modelsPath)) ex.reply(200, "application/json", p.modelsJson);
      else chat.get(p).respond(req, ex);
    });
  }

  /** A complete answer of {@code pieces}, split across writes (one inside a 4-byte character). */
  public static FakeModelServer.Responder answer(Protocol p, List<WireStreams.Piece> pieces, long pauseMs) {
    return (req, ex) -> {
      ex.begin(p.contentType);
      ex.writeAll(WireStreams.splitAcrossWrites(p.body(pieces, true), 41), pauseMs);
      ex.end();
    };
  }

  @Override
  public void close() throws Exception {
    app.close();
    for (FakeModelServer s : servers.values()) s.close();
  }

}
