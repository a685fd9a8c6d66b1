package dev.streamchat.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.app.Config;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.ResponseFormat;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.Addresses;
import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.LiveEvent;
import dev.streamchat.stream.StreamStore;
import dev.streamchat.testing.TestRedis;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Redis stream store as two instances of one service see it, on the machine's Redis. */
class RedisStreamStoreTest {

  private TestRedis redisServer;
  private Vertx vertx;
  private RedisOptions options;
  private RedisKeys keys;
  private Redis redis;

  @BeforeEach
  void setUp() {
    redisServer = TestRedis.machine();
    vertx = Vertx.vertx();
    options = new RedisOptions().setConnectionString(redisServer.url()).setPreferredProtocolVersion(ProtocolVersion.RESP2);
    keys = new RedisKeys(redisServer.prefix());
    redis = Redis.createClient(vertx, options);
  }

  @AfterEach
  void tearDown() throws Exception {
    // Leave nothing of this test in the machine's Redis.
    var found = await(redis.send(Request.cmd(Command.KEYS).arg(redisServer.prefix() + ":*")));
    for (var k : found) await(redis.send(Request.cmd(Command.DEL).arg(k.toString())));
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    redisServer.close();
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private RedisStreamStore store(String instance) {
    return new RedisStreamStore(Redis.createClient(vertx, options), keys, instance, 120, Config.Cluster.DEFAULT_LEASE_MS);
  }

  private static GenerationInfo info(String id) {
    return new GenerationInfo(id, "c-1", "owner", "demo", System.currentTimeMillis());
  }

  private static Chunk text(long seq, String t) {
    return new Chunk(seq, Chunk.Kind.TEXT, t);
  }

  @Test
  void whatOneInstanceWritesAnotherReadsAfterAnyCursorAndTheEndedLogExpires() throws Exception {
    RedisStreamStore a = store("a:1");
    RedisStreamStore b = store("b:2");
    await(a.start(info("g-1")));
    assertEquals(1, a.running().size());
    assertEquals(0, b.running().size(), "running() is what this instance writes");
    await(a.append("g-1", List.of(text(1, "Hel"), new Chunk(2, Chunk.Kind.REASONING, "hmm"), text(3, "lo"))));
    await(a.append("g-1", List.of(text(4, " wor"), text(5, "ld"))));

    StreamStore.Slice mid = await(b.read("g-1", 2, 1000));
    assertEquals(List.of(3L, 4L, 5L), mid.chunks().stream().map(Chunk::seq).toList(), "a cursor inside a batch");
    assertEquals(5, mid.status().lastSeq());
    assertEquals(GenerationState.RUNNING, mid.status().state());
    assertEquals(List.of(3L, 4L), await(b.read("g-1", 2, 6)).chunks().stream().map(Chunk::seq).toList(),
        "at most about maxChars");
    assertEquals(List.of(1L), await(b.read("g-1", 0, 1)).chunks().stream().map(Chunk::seq).toList(),
        "at least one chunk when any follows");
    assertTrue(await(b.read("g-1", 5, 1000)).chunks().isEmpty());
    assertEquals("a:1", await(b.instanceOf("g-1")));

    GenerationStatus end = await(a.finish("g-1", new GenerationEnd(GenerationState.DONE, null, FinishReason.LENGTH,
        new Usage(7, 5), System.currentTimeMillis(), 0)));
    assertEquals(5, end.lastSeq());
    var answer = await(b.answer("g-1"));
    assertEquals("Hello world", answer.text());
    assertEquals("hmm", answer.reasoning());
    assertEquals(GenerationState.DONE, answer.status().state());
    assertEquals(FinishReason.LENGTH, answer.status().finishReason());
    assertEquals(new Usage(7, 5), answer.status().usage());
    assertTrue(answer.status().firstChunkAt() > 0);
    assertTrue(await(b.read("g-1", 4, 1000)).endsAfter(4));

    long ttl = await(redis.send(Request.cmd(Command.TTL).arg(keys.log("g-1")))).toLong();
    assertTrue(ttl > 0 && ttl <= 120, "an ended log expires: ttl " + ttl);
    assertTrue(keys.log("g-1").contains("{g-1}") && keys.info("g-1").contains("{g-1}"), "one hash slot per generation");

    ExecutionException missing = assertThrows(ExecutionException.class, () -> await(b.status("nope")));
    assertInstanceOf(StreamStore.NotFound.class, missing.getCause());
    assertThrows(ExecutionException.class, () -> await(a.append("g-1", List.of(text(6, "late")))),
        "an ended log takes nothing more");
  }

  @Test
  void aJsonAnswersFormatIsReadOnAnotherInstanceWhileRunningAndOnceEnded() throws Exception {
    RedisStreamStore a = store("a:1");
    RedisStreamStore b = store("b:2");
    JsonObject schema = new JsonObject().put("type", "object")
        .put("properties", new JsonObject().put("city", new JsonObject().put("type", "string")))
        .put("required", new JsonArray().add("city"));
    ResponseFormat format = ResponseFormat.jsonSchema(schema, "place", true);
    await(a.start(new GenerationInfo("g-json", "c-1", "owner", "demo", System.currentTimeMillis(), format)));
    await(a.start(info("g-text")));
    assertEquals(format, await(b.status("g-json")).info().responseFormat(), "running, read by another instance");
    await(a.append("g-json", List.of(text(1, "{\"city\": \"Oslo\"}"))));
    await(a.finish("g-json", new GenerationEnd(GenerationState.DONE, null, FinishReason.STOP, Usage.UNKNOWN,
        System.currentTimeMillis(), 0)));
    assertEquals(format, await(b.answer("g-json")).status().info().responseFormat(), "ended, read by another instance");
    assertEquals(ResponseFormat.jsonObject(), RedisRecords.status(RedisRecords.infoFields(
        new GenerationInfo("g-o", "c-1", "owner", "demo", 1, ResponseFormat.jsonObject()), "a:1")).info().responseFormat());
    assertNull(await(b.status("g-text")).info().responseFormat(), "a free-text answer has none");
  }

  @Test
  void aRestartTakesItsOwnLeftoversOverWhereTheyStoodAndLeavesAnotherInstancesAlone() throws Exception {
    RedisStreamStore a = store("a:1");
    RedisStreamStore b = store("b:2");
    await(a.start(info("g-a")));
    await(a.append("g-a", List.of(text(1, "kept"))));
    await(b.start(info("g-b")));
    // Instance a dies; it starts again under the same address.
    RedisStreamStore again = store("a:1");
    assertEquals(List.of(), await(again.recover()), "nothing is ended");
    List<GenerationStatus> claimed = new CopyOnWriteArrayList<>();
    await(again.takeOrphans(claimed::add));
    assertEquals(List.of("g-a"), claimed.stream().map(GenerationStatus::id).toList());
    assertEquals(1, claimed.get(0).lastSeq(), "it is claimed where its log stands");
    await(again.resume("g-a"));
    await(again.append("g-a", List.of(text(2, " and more"))));
    await(again.finish("g-a", new GenerationEnd(GenerationState.DONE, null, FinishReason.STOP, Usage.UNKNOWN,
        System.currentTimeMillis(), 0)));
    assertEquals("kept and more", await(b.answer("g-a")).text(), "the same log goes on after its last chunk");
    assertEquals(GenerationState.RUNNING, await(again.status("g-b")).state(), "another instance's answer is left alone");
  }

  @Test
  void exactlyOneSurvivorClaimsEachAnswerOfAGoneInstanceAndATakerThatDiesLosesNone() throws Exception {
    RedisStreamStore a = store("a:1");
    await(a.recover());
    for (String id : List.of("g-1", "g-2", "g-3")) {
      await(a.start(info(id)));
      await(a.append(id, List.of(text(1, "so far"))));
    }
    RedisStreamStore b = store("b:2");
    RedisStreamStore c = store("c:3");
    List<String> byB = new CopyOnWriteArrayList<>();
    List<String> byC = new CopyOnWriteArrayList<>();
    await(b.recover());
    await(c.recover());
    await(b.takeOrphans(s -> byB.add(s.id())));
    await(c.takeOrphans(s -> byC.add(s.id())));
    // a's lease runs out; both survivors look at once.
    await(redis.send(Request.cmd(Command.DEL).arg(keys.lease("a:1"))));
    b.lookNow();
    c.lookNow();
    waitFor(() -> byB.size() + byC.size() >= 3);
    Thread.sleep(300); // a second claim of any of them would show now
    List<String> all = new java.util.ArrayList<>(byB);
    all.addAll(byC);
    assertEquals(List.of("g-1", "g-2", "g-3"), all.stream().sorted().toList(), "each is claimed once: " + byB + " " + byC);
    ExecutionException fenced = assertThrows(ExecutionException.class, () -> await(a.append("g-1", List.of(text(2, "late")))));
    assertTrue(fenced.getCause().getMessage().contains("taken over"), "the gone instance adds nothing: " + fenced.getCause());

    // The taker dies before it has done anything with what it claimed: the other claims that from it.
    RedisStreamStore taker = byB.isEmpty() ? c : b;
    RedisStreamStore other = taker == b ? c : b;
    List<String> takerClaims = List.copyOf(taker == b ? byB : byC);
    List<String> otherClaims = taker == b ? byC : byB;
    int before = otherClaims.size();
    await(redis.send(Request.cmd(Command.DEL).arg(keys.lease(taker == b ? "b:2" : "c:3"))));
    other.lookNow();
    waitFor(() -> otherClaims.size() >= before + takerClaims.size());
    assertEquals(takerClaims.stream().sorted().toList(), otherClaims.subList(before, otherClaims.size()).stream().sorted().toList());
    assertEquals("so far", await(other.answer(takerClaims.get(0))).text(), "with every chunk logged");
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (!condition.getAsBoolean()) {
      assertTrue(System.currentTimeMillis() < deadline, "not within 10 s");
      Thread.sleep(20);
    }
  }

  @Test
  void anotherInstanceHearsEveryBatchAndTheEndOnItsLocalBusButNotItsOwn() throws Exception {
    RedisStreamStore a = store("a:1");
    RedisLive hearsA = new RedisLive(vertx, options, keys, "a:1");
    RedisLive hearsB = new RedisLive(vertx, options, keys, "b:2");
    Vertx other = Vertx.vertx();
    try {
      await(hearsA.start());
      RedisLive onOther = new RedisLive(other, options, keys, "b:2");
      await(onOther.start());
      List<LiveEvent> onB = new CopyOnWriteArrayList<>();
      List<LiveEvent> onA = new CopyOnWriteArrayList<>();
      await(other.eventBus().<LiveEvent>consumer(Addresses.events("g-1"), m -> onB.add(m.body())).completion());
      await(vertx.eventBus().<LiveEvent>consumer(Addresses.events("g-1"), m -> onA.add(m.body())).completion());
      await(a.start(info("g-1")));
      for (int i = 1; i <= 50; i++) await(a.append("g-1", List.of(text(i, "t" + i))));
      await(a.finish("g-1", new GenerationEnd(GenerationState.STOPPED, null, null, Usage.UNKNOWN, System.currentTimeMillis(), 0)));
      long deadline = System.currentTimeMillis() + 5000;
      while (onB.size() < 51 && System.currentTimeMillis() < deadline) Thread.sleep(20);
      assertEquals(51, onB.size());
      for (int i = 0; i < 50; i++) {
        assertEquals(i + 1, onB.get(i).firstSeq(), "in order, none missing");
        assertEquals("t" + (i + 1), onB.get(i).chunks().get(0).text());
      }
      assertTrue(onB.get(50).isEnd());
      assertEquals(GenerationState.STOPPED, onB.get(50).end().state());
      assertEquals(50, onB.get(50).end().lastSeq());
      assertNull(onB.get(50).end().error());
      assertTrue(onA.isEmpty(), "the writing instance publishes its own events locally, not twice");
      await(onOther.close());
    } finally {
      await(hearsA.close());
      await(hearsB.close());
      other.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
