package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.app.Config;
import dev.streamchat.model.FakeProviders.Protocol;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code STREAMCHAT_UPSTREAM_CA_FILE}: a model server whose certificate chains to an in-house CA
 * (here self-signed, in src/test/resources/tls) is reached over TLS, by HTTP/2 where it offers it;
 * without the setting the same server is refused, so the setting adds trust and weakens nothing.
 */
@ExtendWith(VertxExtension.class)
class UpstreamCaFileTest {

  private static Path resource(String name) throws Exception {
    return Path.of(UpstreamCaFileTest.class.getResource("/tls/" + name).toURI());
  }

  /** An OpenAI-compatible server over TLS (h2 and http/1.1 by ALPN) that answers every question the same. */
  private static HttpServer tlsModelServer(Vertx vertx, Set<HttpVersion> versions) throws Exception {
    byte[] body = WireStreams.openAi(WireStreams.ANSWER, true);
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setUseAlpn(true)
            .setKeyCertOptions(new PemKeyCertOptions().setKeyPath(resource("model-server.key").toString())
                .setCertPath(resource("model-server.pem").toString())))
        .requestHandler(req -> {
          versions.add(req.version());
          if (req.path().startsWith("/v1/models")) {
            req.response().putHeader("Content-Type", "application/json").end(Protocol.OPENAI.modelsJson);
            return;
          }
          req.body().onSuccess(b -> req.response().putHeader("Content-Type", "text/event-stream")
              .end(io.vertx.core.buffer.Buffer.buffer(body)));
        });
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return server;
  }

  @Test
  void aModelServerSignedByTheNamedCaAnswersOverHttp2(Vertx vertx) throws Exception {
    Set<HttpVersion> versions = ConcurrentHashMap.newKeySet();
    HttpServer server = tlsModelServer(vertx, versions);
    try (TestServer app = TestServer.start(Map.of("OPENAI_BASE_URL", "https://127.0.0.1:" + server.actualPort() + "/v1",
        "STREAMCHAT_UPSTREAM_CA_FILE", resource("model-server.pem").toString()))) {
      ApiClient client = app.client();
      String gid = client.ask(client.newConversation(), "hi", Protocol.OPENAI.modelId, null);
      var g = client.awaitFinal(gid);
      assertEquals("done", g.getString("state"));
      assertEquals(WireStreams.text(WireStreams.ANSWER), g.getString("text"));
      assertEquals(Set.of(HttpVersion.HTTP_2), versions, "TLS with ALPN: HTTP/2");
    } finally {
      server.close();
    }
  }

  @Test
  void withoutTheSettingTheSameServerIsNotTrusted(Vertx vertx) throws Exception {
    Set<HttpVersion> versions = ConcurrentHashMap.newKeySet();
    HttpServer server = tlsModelServer(vertx, versions);
    try (TestServer app = TestServer.start(Map.of("OPENAI_BASE_URL", "https://127.0.0.1:" + server.actualPort() + "/v1"))) {
      String models = app.client().get("/api/models").body();
      assertFalse(models.contains(Protocol.OPENAI.modelId), models);
      assertTrue(versions.isEmpty(), "no request got past the TLS handshake");
    } finally {
      server.close();
    }
  }

  @Test
  void aMissingOrNonPemFileStopsTheStartNamingTheSetting(@TempDir Path dir) throws Exception {
    var missing = assertThrows(IllegalArgumentException.class,
        () -> Config.from(Map.of("STREAMCHAT_UPSTREAM_CA_FILE", dir.resolve("absent.pem").toString())));
    assertTrue(missing.getMessage().startsWith("STREAMCHAT_UPSTREAM_CA_FILE: cannot read "), missing.getMessage());
    Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate\n");
    var notPem = assertThrows(IllegalArgumentException.class,
        () -> Config.from(Map.of("STREAMCHAT_UPSTREAM_CA_FILE", junk.toString())));
    assertTrue(notPem.getMessage().startsWith("STREAMCHAT_UPSTREAM_CA_FILE: "), notPem.getMessage());
  }
}
