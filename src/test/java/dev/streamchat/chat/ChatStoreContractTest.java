package dev.streamchat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The one ChatStore contract, held by the embedded H2 and by PostgreSQL alike. */
class ChatStoreContractTest {

  static final List<String> KINDS = TestDatabase.KINDS;

  private Vertx vertx;
  private TestDatabase db;
  private Path dataDir;
  private JdbcChatStore store;

  private JdbcChatStore open(String kind) throws Exception {
    if (vertx == null) {
      vertx = Vertx.vertx();
      db = TestDatabase.of(kind);
      dataDir = Files.createTempDirectory("streamchat-store");
    }
    HikariDataSource ds = Database.open(db.url(), dataDir);
    store = new JdbcChatStore(vertx, ds, ds);
    return store;
  }

  @AfterEach
  void close() throws Exception {
    if (store != null) await(store.close());
    if (vertx != null) vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (db != null) db.close();
    if (dataDir != null) TestServer.deleteTree(dataDir);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  @ParameterizedTest
  @FieldSource("KINDS")
  void conversationsAreListedNewestFirstAndOnlyToTheirOwner(String kind) throws Exception {
    ChatStore s = open(kind);
    Conversation a = await(s.createConversation("alice", "first", "demo"));
    Thread.sleep(5);
    Conversation b = await(s.createConversation("alice", "second", "demo"));
    await(s.createConversation("bob", "bob's", "demo"));
    assertEquals(List.of(b.id(), a.id()), await(s.conversations("alice", 10)).stream().map(Conversation::id).toList());
    Thread.sleep(5);
    await(s.addExchange(a.id(), "hello", "g-1", "demo"));
    await(s.saveAnswer("g-1", "hi", null, "done", null));
    assertEquals(a.id(), await(s.conversations("alice", 10)).get(0).id(), "a new message moves it to the top");

    assertTrue(await(s.conversation("bob", a.id())).isEmpty(), "bob cannot read alice's conversation");
    assertFalse(await(s.renameConversation("bob", a.id(), "mine")));
    assertFalse(await(s.deleteConversation("bob", a.id())));
    assertEquals(2, await(s.conversationCount("alice")));
    assertEquals(1, await(s.conversationCount("bob")));

    assertTrue(await(s.renameConversation("alice", a.id(), "renamed")));
    assertEquals("renamed", await(s.conversation("alice", a.id())).orElseThrow().title());
    assertTrue(await(s.deleteConversation("alice", a.id())));
    assertTrue(await(s.conversation("alice", a.id())).isEmpty());
    assertTrue(await(s.messages(a.id())).isEmpty(), "deleting a conversation deletes its messages");
  }

  @ParameterizedTest
  @FieldSource("KINDS")
  void exchangesKeepTheirOrderAndAnswersTheirFinalState(String kind) throws Exception {
    ChatStore s = open(kind);
    Conversation c = await(s.createConversation("alice", "t", "demo"));
    await(s.addExchange(c.id(), "one", "g-1", "demo"));
    await(s.saveAnswer("g-1", "answer one", "thought", "done", null));
    await(s.addExchange(c.id(), "two", "g-2", "demo"));
    List<Message> ms = await(s.messages(c.id()));
    assertEquals(List.of("user", "assistant", "user", "assistant"), ms.stream().map(Message::role).toList());
    assertEquals(List.of(1, 2, 3, 4), ms.stream().map(Message::seq).toList());
    assertEquals("answer one", ms.get(1).content());
    assertEquals("thought", ms.get(1).reasoning());
    assertEquals("done", ms.get(1).state());
    assertNull(ms.get(0).state());
    assertEquals(List.of("g-2"), await(s.runningAnswers()).stream().map(Message::generationId).toList());
    Exception refused = assertThrows(Exception.class, () -> await(s.addExchange(c.id(), "three", "g-3", "demo")));
    assertTrue(refused.getCause() instanceof Problem p && p.status() == 409, "no second answer while one runs");
    assertEquals(4, await(s.messages(c.id())).size());
    await(s.saveAnswer("g-2", "partial", null, "interrupted", "The server stopped."));
    assertTrue(await(s.runningAnswers()).isEmpty());
    Message two = await(s.messages(c.id())).get(3);
    assertEquals("interrupted", two.state());
    assertEquals("The server stopped.", two.error());
  }

  @ParameterizedTest
  @FieldSource("KINDS")
  void pagesGoBackFromTheNewest(String kind) throws Exception {
    ChatStore s = open(kind);
    Conversation c = await(s.createConversation("alice", "t", "demo"));
    for (int i = 1; i <= 5; i++) {
      await(s.addExchange(c.id(), "q" + i, "g-" + i, "demo"));
      await(s.saveAnswer("g-" + i, "a" + i, null, "done", null));
    }
    List<Message> newest = await(s.messagesBefore(c.id(), Integer.MAX_VALUE, 3));
    assertEquals(List.of(8, 9, 10), newest.stream().map(Message::seq).toList());
    List<Message> older = await(s.messagesBefore(c.id(), 8, 3));
    assertEquals(List.of(5, 6, 7), older.stream().map(Message::seq).toList());
    assertEquals(List.of(1, 2), await(s.messagesBefore(c.id(), 3, 3)).stream().map(Message::seq).toList());
  }

  @ParameterizedTest
  @FieldSource("KINDS")
  void anAnswerRestartsUnderANewGenerationAndAnEditRewritesTheRest(String kind) throws Exception {
    ChatStore s = open(kind);
    Conversation c = await(s.createConversation("alice", "t", "demo"));
    await(s.addExchange(c.id(), "one", "g-1", "demo"));
    await(s.saveAnswer("g-1", "cut sho", null, "interrupted", "stopped"));
    assertTrue(await(s.restartAnswer("g-1", "g-1b", "cut sho", "demo", false)));
    assertFalse(await(s.restartAnswer("g-1", "g-1c", "", "demo", false)), "the old generation no longer owns the message");
    Message answer = await(s.messages(c.id())).get(1);
    assertEquals("g-1b", answer.generationId());
    assertEquals("running", answer.state());
    assertEquals("cut sho", answer.content());
    assertNull(answer.error());

    await(s.saveAnswer("g-1b", "cut short, then done", null, "done", null));
    await(s.addExchange(c.id(), "two", "g-2", "demo"));
    await(s.saveAnswer("g-2", "answer two", null, "done", null));
    await(s.editAndResend(c.id(), 1, "one, edited", "g-3", "demo"));
    List<Message> ms = await(s.messages(c.id()));
    assertEquals(2, ms.size(), "everything after the edited message is replaced");
    assertEquals("one, edited", ms.get(0).content());
    assertEquals("g-3", ms.get(1).generationId());
    assertEquals("running", ms.get(1).state());
    assertThrows(Exception.class, () -> await(s.editAndResend(c.id(), 2, "not a user message", "g-4", "demo")));
    assertEquals(2, await(s.messages(c.id())).size(), "a refused edit changes nothing");
  }

  @ParameterizedTest
  @FieldSource("KINDS")
  void regeneratingKeepsEachEarlierAnswerAsAVersionAndContinuingDoesNot(String kind) throws Exception {
    ChatStore s = open(kind);
    Conversation c = await(s.createConversation("alice", "t", "demo"));
    await(s.addExchange(c.id(), "q", "g-1", "model-a"));
    await(s.saveAnswer("g-1", "first answer", "first thought", "done", null));
    assertTrue(await(s.restartAnswer("g-1", "g-2", "", "model-b", true)));
    await(s.saveAnswer("g-2", "second, cut", null, "stopped", null));
    assertTrue(await(s.restartAnswer("g-2", "g-3", "second, cut", "model-b", false)), "Continue keeps no version");
    await(s.saveAnswer("g-3", "second, cut and continued", null, "done", null));
    assertTrue(await(s.restartAnswer("g-3", "g-4", "", "model-c", true)));

    Message answer = await(s.answerOf("g-4")).orElseThrow();
    assertEquals("model-c", answer.model());
    assertTrue(await(s.answerOf("g-1")).isEmpty(), "an old generation writes no message any more");
    List<Message> earlier = await(s.earlierVersions(answer.id()));
    assertEquals(List.of("first answer", "second, cut and continued"), earlier.stream().map(Message::content).toList());
    assertEquals(List.of(1, 2), earlier.stream().map(Message::seq).toList());
    assertEquals(List.of("model-a", "model-b"), earlier.stream().map(Message::model).toList());
    assertEquals("first thought", earlier.get(0).reasoning());
    assertEquals(c.id(), earlier.get(0).conversationId());
    assertEquals(java.util.Map.of(answer.id(), 2), await(s.versionCounts(c.id())));
    assertEquals(1 + "first answer".length() + "first thought".length() + "second, cut and continued".length(),
        await(s.storedBytes("alice")), "earlier versions count towards the storage limit");

    await(s.editAndResend(c.id(), 1, "q2", "g-5", "demo"));
    assertEquals(java.util.Map.of(), await(s.versionCounts(c.id())), "rewriting the conversation drops the versions");
  }

  @ParameterizedTest
  @FieldSource("KINDS")
  void anAnswerKeepsTheFormatItWasAskedForThroughARestartAndInItsVersions(String kind) throws Exception {
    ChatStore s = open(kind);
    Conversation c = await(s.createConversation("alice", "json", "demo"));
    await(s.addExchange(c.id(), "plan a trip", "g-1", "demo"));
    dev.streamchat.model.ResponseFormat format = dev.streamchat.model.ResponseFormat.jsonSchema(
        new io.vertx.core.json.JsonObject().put("type", "object").put("required", new io.vertx.core.json.JsonArray().add("city")),
        "trip", true);
    await(s.setAnswerFormat("g-1", format));
    await(s.saveAnswer("g-1", "{\"city\": \"Rome\"}", null, "done", null));
    List<Message> messages = await(s.messages(c.id()));
    assertEquals(null, messages.get(0).responseFormat(), "the question has none");
    assertEquals(format, messages.get(1).responseFormat());
    assertEquals(format, await(s.answerOf("g-1")).orElseThrow().responseFormat());
    // Regenerated: the message row (and its format) stays; the earlier version is read with it.
    assertTrue(await(s.restartAnswer("g-1", "g-2", "", "demo", true)));
    assertEquals(format, await(s.answerOf("g-2")).orElseThrow().responseFormat());
    assertEquals(format, await(s.earlierVersions(messages.get(1).id())).get(0).responseFormat());
    // A text answer has none.
    await(s.saveAnswer("g-2", "done", null, "done", null));
    await(s.addExchange(c.id(), "and in words?", "g-3", "demo"));
    assertEquals(null, await(s.answerOf("g-3")).orElseThrow().responseFormat());
  }

  @ParameterizedTest
  @FieldSource("KINDS")
  void searchFindsTitlesAndMessageTextLiterallyAndOnlyTheOwners(String kind) throws Exception {
    ChatStore s = open(kind);
    Conversation byTitle = await(s.createConversation("alice", "Paris trip", "demo"));
    Conversation byText = await(s.createConversation("alice", "Other", "demo"));
    await(s.addExchange(byText.id(), "How far is PARIS from Lyon? 100% sure_thing", "g-1", "demo"));
    Conversation bobs = await(s.createConversation("bob", "Paris for bob", "demo"));
    assertEquals(java.util.Set.of(byTitle.id(), byText.id()),
        await(s.search("alice", "paris", 10)).stream().map(Conversation::id).collect(java.util.stream.Collectors.toSet()));
    assertEquals(List.of(byText.id()), await(s.search("alice", "100%", 10)).stream().map(Conversation::id).toList());
    assertEquals(List.of(), await(s.search("alice", "0%s", 10)), "% is not a wildcard");
    assertEquals(List.of(byText.id()), await(s.search("alice", "e_t", 10)).stream().map(Conversation::id).toList());
    assertEquals(List.of(), await(s.search("alice", "s_r", 10)), "_ is not a wildcard");
    assertEquals(List.of(), await(s.search("alice", "\\", 10)));
    assertEquals(1, await(s.search("alice", "paris", 1)).size(), "bounded");
    assertEquals(List.of(bobs.id()), await(s.search("bob", "paris", 10)).stream().map(Conversation::id).toList());
  }

  @ParameterizedTest
  @FieldSource("KINDS")
  void storedBytesCountUtf8TextOfTheOwnerOnly(String kind) throws Exception {
    ChatStore s = open(kind);
    Conversation c = await(s.createConversation("alice", "t", "demo"));
    await(s.addExchange(c.id(), "héllo", "g-1", "demo"));
    await(s.saveAnswer("g-1", "ok", "hm", "done", null));
    Conversation other = await(s.createConversation("bob", "t", "demo"));
    await(s.addExchange(other.id(), "a much longer message of bob", "g-2", "demo"));
    assertEquals(6 + 2 + 2, await(s.storedBytes("alice")));
    assertEquals(0, await(s.storedBytes("nobody")));
  }

  @ParameterizedTest
  @FieldSource("KINDS")
  void reopeningKeepsDataAndAppliesEachMigrationOnce(String kind) throws Exception {
    ChatStore s = open(kind);
    Conversation c = await(s.createConversation("alice", "kept", "demo"));
    await(s.addExchange(c.id(), "one", "g-1", "demo"));
    await(s.saveAnswer("g-1", "kept too", null, "done", null));
    await(s.close());
    HikariDataSource ds = Database.open(db.url(), dataDir);
    store = new JdbcChatStore(vertx, ds, ds);
    assertEquals("kept", await(store.conversation("alice", c.id())).orElseThrow().title());
    assertEquals(2, await(store.messages(c.id())).size());
    try (Connection conn = ds.getConnection(); Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery("SELECT COUNT(*), MAX(version) FROM schema_version")) {
      rs.next();
      assertEquals(Database.MIGRATIONS.size(), rs.getInt(1));
      assertEquals(Database.MIGRATIONS.size(), rs.getInt(2));
    }
  }
}
