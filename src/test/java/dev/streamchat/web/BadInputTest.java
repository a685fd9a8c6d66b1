package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.ApiClient.Reply;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Mistakes get a clear 4xx with a JSON message; another session's things do not exist for it. */
class BadInputTest {

  private static TestServer server;
  private static ApiClient alice;
  private static ApiClient bob;
  private static String conversation;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "200", "STREAMCHAT_MAX_BODY_BYTES", "4096",
        "STREAMCHAT_MAX_MESSAGE_CHARS", "1000"));
    alice = server.client();
    bob = server.client();
    conversation = alice.newConversation();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static void assertError(Reply reply, int status, String messagePart) {
    assertEquals(status, reply.status(), reply.body());
    String error = reply.json().getString("error");
    assertTrue(error != null && error.contains(messagePart), "error message '" + error + "' mentions " + messagePart);
    assertFalse(reply.body().contains("Exception") || reply.body().contains("\tat "), "no stack trace");
  }

  private static Reply send(String body) {
    return alice.post("/api/conversations/" + conversation + "/messages", body);
  }

  @Test
  void anEmptyOrBlankMessageIsA400() {
    assertError(send("{\"content\":\"\"}"), 400, "empty");
    assertError(send("{\"content\":\"  \\n\\t \"}"), 400, "empty");
    assertError(send("{}"), 400, "empty");
  }

  @Test
  void malformedJsonIsA400() {
    assertError(send("{\"content\": "), 400, "JSON");
    assertError(send("[1,2]"), 400, "object");
    assertError(send("{\"content\": 42}"), 400, "content");
    assertError(send("{\"content\": \"hi\", \"maxTokens\": \"many\"}"), 400, "maxTokens");
    assertError(send("{\"content\": \"hi\", \"maxTokens\": 0}"), 400, "maxTokens");
  }

  @Test
  void aBodyOverTheLimitIsA413() {
    assertError(send("{\"content\":\"" + "x".repeat(5000) + "\"}"), 413, "too large");
  }

  @Test
  void aMessageOverTheLengthLimitIsA413() {
    assertError(send("{\"content\":\"" + "y".repeat(1001) + "\"}"), 413, "too long");
  }

  @Test
  void anUnknownModelIsA400() {
    assertError(send("{\"content\":\"hi\",\"model\":\"gpt-17\"}"), 400, "unknown model");
  }

  @Test
  void unknownConversationsAndGenerationsAre404() {
    assertError(alice.get("/api/conversations/nope"), 404, "conversation");
    assertError(alice.post("/api/conversations/nope/messages", "{\"content\":\"hi\"}"), 404, "conversation");
    assertError(alice.get("/api/generations/nope"), 404, "generation");
    assertError(alice.get("/api/generations/../../etc/passwd/events"), 404, "");
    assertError(alice.get("/api/generations/00000000-0000-0000-0000-000000000000/events"), 404, "generation");
    assertError(alice.post("/api/generations/nope/stop", ""), 404, "generation");
    assertError(alice.delete("/api/conversations/nope"), 404, "conversation");
    assertError(alice.get("/api/nothing-here"), 404, "Not found");
  }

  @Test
  void badCursorsAre400() {
    String gid = alice.ask(alice.newConversation(), "cursor", 5);
    assertError(alice.get("/api/generations/" + gid + "/events?after=-3"), 400, "after");
    assertError(alice.get("/api/generations/" + gid + "/events?after=abc"), 400, "after");
    assertError(alice.send(HttpRequest.newBuilder(URI.create(server.url("/api/generations/" + gid + "/events")))
        .header("Last-Event-ID", "x1")), 400, "Last-Event-ID");
    alice.readAll(gid, null, null);
    try (SseConnection beyond = alice.events(gid, null, 1_000_000L)) {
      assertEquals(200, beyond.status(), "a cursor beyond the end of a finished answer gets just the end");
      var e = beyond.next();
      assertTrue(e.isEnd());
    }
  }

  @Test
  void anotherSessionGets404ForEverythingItDoesNotOwn() throws Exception {
    String cid = alice.newConversation();
    String gid = alice.ask(cid, "mine", 400);
    assertError(bob.get("/api/conversations/" + cid), 404, "conversation");
    assertError(bob.post("/api/conversations/" + cid + "/messages", "{\"content\":\"hijack\"}"), 404, "conversation");
    assertError(bob.delete("/api/conversations/" + cid), 404, "conversation");
    assertError(bob.get("/api/generations/" + gid), 404, "generation");
    assertError(bob.get("/api/generations/" + gid + "/events"), 404, "generation");
    assertError(bob.post("/api/generations/" + gid + "/stop", ""), 404, "generation");
    assertEquals(404, bob.get("/c/" + cid).status());
    assertEquals(404, bob.get("/g/" + gid + "/stream").status());
    assertTrue(bob.get("/api/conversations").array().isEmpty(), "bob lists none of alice's conversations");
    assertEquals("running", alice.generation(gid).getString("state"), "bob could not stop it");
    assertEquals(200, alice.post("/api/generations/" + gid + "/stop", "").status());
  }

  @Test
  void aCrossOriginWriteIsRefusedAndTheAppsOwnOriginIsServed() {
    Reply foreign = alice.send(HttpRequest.newBuilder(URI.create(server.url("/api/conversations")))
        .header("Origin", "https://evil.example").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertError(foreign, 403, "Cross-origin");
    Reply own = alice.send(HttpRequest.newBuilder(URI.create(server.url("/api/conversations")))
        .header("Origin", "http://127.0.0.1:" + server.port()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(201, own.status());
  }

  @Test
  void deletingAConversationRemovesIt() {
    String cid = alice.newConversation();
    assertEquals(204, alice.delete("/api/conversations/" + cid).status());
    assertEquals(404, alice.get("/api/conversations/" + cid).status());
  }

  @Test
  void modelsListsTheDemo() {
    JsonObject demo = alice.get("/api/models").array().getJsonObject(0);
    assertEquals("demo", demo.getString("id"));
    assertEquals("demo", demo.getString("provider"));
  }
}
